package io.bulwark.server.node;

import io.bulwark.client.ClientOptions;
import io.bulwark.server.replication.DriverStatus;
import io.bulwark.server.replication.ReplicaHost;
import io.bulwark.txn.PartitionStateMachine;
import io.bulwark.txn.Recovery;
import io.bulwark.txn.TxnCommand;
import io.bulwark.txn.TxnResult;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Finishes abandoned transactions: every {@code period}, for each partition this node leads, asks the partition
 * for transactions still prepared past their deadline (plus a grace for clock differences) and forces each one's
 * outcome with a {@link Recovery} — through a client of the cluster itself, since the transaction's home and
 * other participants may live on other nodes — then resolves it everywhere. So a coordinator that crashed
 * after preparing leaves no lock behind for longer than its deadline, the grace and one period.
 *
 * <p>Thread-safety: runs on its own thread; {@link #close()} from any thread.
 */
final class TransactionSweeper extends NodeDaemon {

    private static final System.Logger LOG = System.getLogger(TransactionSweeper.class.getName());
    /** Room for the clocks of a transaction's owner and this node to differ; only liveness depends on it. */
    static final long GRACE_MS = 1_000;
    private static final int BATCH = 64;

    private final ReplicaHost host;
    private final Supplier<Set<Integer>> hosted;
    private final io.micrometer.core.instrument.MeterRegistry registry;

    TransactionSweeper(int nodeId, ReplicaHost host, Supplier<Set<Integer>> hosted, Supplier<InetSocketAddress> self,
                       Duration period, io.micrometer.core.instrument.MeterRegistry registry) {
        super(nodeId, "txn-sweeper",
                () -> ClientOptions.of(List.of(self.get())).withRequestTimeout(Duration.ofSeconds(20)));
        this.host = host;
        this.hosted = hosted;
        this.registry = registry;
        every(period, "transaction sweep", this::sweep);
    }

    private void sweep() {
        for (int p : hosted.get()) {
            if (closed) {
                return;
            }
            DriverStatus s;
            try {
                s = host.status(p);
            } catch (IllegalArgumentException removed) {
                continue;
            }
            if (!s.isLeader()) {
                continue;
            }
            byte[] answer;
            try {
                answer = host.read(p, new TxnCommand.Overdue(System.currentTimeMillis() - GRACE_MS, BATCH).encode())
                        .get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                continue; // lost leadership or stopping: the next sweep tries again
            }
            List<PartitionStateMachine.Overdue> overdue = ((TxnResult.OverdueList) TxnResult.decode(answer)).overdue();
            for (PartitionStateMachine.Overdue o : overdue) {
                finish(p, o);
            }
        }
    }

    private void finish(int partition, PartitionStateMachine.Overdue o) {
        try {
            Recovery.Verdict v = client().finishTransaction(o.txn(), o.home(), o.deadline(), true, partition)
                    .get(30, TimeUnit.SECONDS);
            registry.counter("bulwark.txn.recovered", "verdict", v.name().toLowerCase(java.util.Locale.ROOT)).increment();
            LOG.log(System.Logger.Level.INFO, "node " + nodeId + ": finished abandoned transaction " + o.txn()
                    + " (found on partition " + partition + "): " + v);
        } catch (Exception e) {
            if (!closed) {
                LOG.log(System.Logger.Level.WARNING, "node " + nodeId + ": could not finish abandoned transaction "
                        + o.txn() + " yet: " + e.getMessage());
            }
        }
    }
}
