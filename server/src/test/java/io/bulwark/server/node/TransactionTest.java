package io.bulwark.server.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.client.BulwarkClient;
import io.bulwark.client.InvalidRequestException;
import io.bulwark.client.Transaction;
import io.bulwark.client.TransactionConflictException;
import io.bulwark.client.TransactionStateException;
import io.bulwark.txn.Commit;
import io.bulwark.txn.TxnBuffer;
import io.bulwark.txn.TxnCommand;
import io.bulwark.txn.TxnId;
import io.bulwark.txn.TxnResult;
import io.bulwark.txn.TxnState;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/** Transactions against real in-JVM nodes over loopback TCP. */
class TransactionTest extends LocalClusterTest {

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String s(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    /** Two keys on different partitions. */
    private static String[] keysOnTwoPartitions(BulwarkClient client) {
        String first = "acct-0";
        for (int i = 1; ; i++) {
            String k = "acct-" + i;
            if (client.partitionOf(b(k)) != client.partitionOf(b(first))) {
                return new String[] {first, k};
            }
        }
    }

    @Test
    void aCrossPartitionTransferCommitsAtomicallyAndConcurrentTransfersConserveTheTotal() throws Exception {
        cluster = new LocalCluster(dir, 3, 8, 3);
        try (BulwarkClient client = BulwarkClient.connect(cluster.clientOptions())) {
            String[] k = keysOnTwoPartitions(client);
            client.put(b(k[0]), b("100"));
            client.put(b(k[1]), b("100"));
            client.transact(tx -> {
                int a = Integer.parseInt(s(tx.get(b(k[0]))));
                int c = Integer.parseInt(s(tx.get(b(k[1]))));
                tx.put(b(k[0]), b(String.valueOf(a - 30)));
                tx.put(b(k[1]), b(String.valueOf(c + 30)));
                // A transaction reads its own writes.
                assertThat(s(tx.get(b(k[0])))).isEqualTo("70");
                return null;
            });
            assertThat(s(client.get(b(k[0])))).isEqualTo("70");
            assertThat(s(client.get(b(k[1])))).isEqualTo("130");

            // Eight threads moving money between 6 accounts on several partitions: conflicts are retried, and
            // every committed transfer is applied whole.
            List<String> accounts = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                accounts.add("bank-" + i);
                client.put(b("bank-" + i), b("1000"));
            }
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<Integer>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int seed = t;
                done.add(pool.submit(() -> {
                    java.util.Random random = new java.util.Random(seed);
                    for (int n = 0; n < 25; n++) {
                        String from = accounts.get(random.nextInt(accounts.size()));
                        String to = accounts.get(random.nextInt(accounts.size()));
                        if (from.equals(to)) {
                            continue;
                        }
                        int amount = 1 + random.nextInt(20);
                        client.transact(tx -> {
                            tx.put(b(from), b(String.valueOf(Integer.parseInt(s(tx.get(b(from)))) - amount)));
                            tx.put(b(to), b(String.valueOf(Integer.parseInt(s(tx.get(b(to)))) + amount)));
                            return null;
                        });
                    }
                    return 0;
                }));
                // Audits run alongside: a read-only transaction sees a consistent total.
            }
            for (int i = 0; i < 20; i++) {
                int total = client.transact(tx -> {
                    int sum = 0;
                    for (String a : accounts) {
                        sum += Integer.parseInt(s(tx.get(b(a))));
                    }
                    return sum;
                });
                assertThat(total).isEqualTo(6_000);
            }
            for (Future<Integer> f : done) {
                f.get();
            }
            pool.shutdown();
            int total = 0;
            for (String a : accounts) {
                total += Integer.parseInt(s(client.get(b(a))));
            }
            assertThat(total).isEqualTo(6_000);
            assertThat(client.transactionRetries()).isGreaterThan(0);
        }
    }

    @Test
    void aStaleReadLosesTheConflictAndNothingIsApplied() throws Exception {
        cluster = new LocalCluster(dir, 3, 4, 3);
        try (BulwarkClient client = BulwarkClient.connect(cluster.clientOptions())) {
            client.put(b("x"), b("1"));
            Transaction slow = client.begin();
            assertThat(s(slow.get(b("x")))).isEqualTo("1");
            slow.put(b("y"), b("from-slow"));
            client.put(b("x"), b("2")); // written after slow read it
            assertThatThrownBy(slow::commit).isInstanceOf(TransactionConflictException.class)
                    .hasMessageContaining("written by someone else");
            assertThat(client.get(b("y"))).isNull();
            assertThatThrownBy(slow::commit).isInstanceOf(TransactionStateException.class);
        }
    }

    @Test
    void misuseIsRefusedWithSpecificErrors() throws Exception {
        cluster = new LocalCluster(dir, 3, 4, 3);
        try (BulwarkClient client = BulwarkClient.connect(cluster.clientOptions())) {
            Transaction tx = client.begin();
            tx.put(b("k"), b("v"));
            tx.commit();
            assertThat(s(client.get(b("k")))).isEqualTo("v");
            assertThatThrownBy(tx::commit).isInstanceOf(TransactionStateException.class).hasMessageContaining("committed");
            assertThatThrownBy(() -> tx.get(b("k"))).isInstanceOf(TransactionStateException.class);
            assertThatThrownBy(tx::rollback).isInstanceOf(TransactionStateException.class);

            Transaction rolledBack = client.begin();
            rolledBack.put(b("k"), b("never"));
            rolledBack.rollback();
            assertThatThrownBy(rolledBack::commit).isInstanceOf(TransactionStateException.class);
            assertThat(s(client.get(b("k")))).isEqualTo("v");

            Transaction late = client.begin(Duration.ofMillis(1));
            late.put(b("k"), b("late"));
            while (System.currentTimeMillis() <= late.deadlineMillis()) {
                LockSupport.parkNanos(1_000_000);
            }
            assertThatThrownBy(late::commit).isInstanceOf(TransactionStateException.class).hasMessageContaining("deadline");
            assertThat(s(client.get(b("k")))).isEqualTo("v");

            assertThatThrownBy(() -> client.begin().put(new byte[0], b("v"))).isInstanceOf(InvalidRequestException.class);
            assertThatThrownBy(() -> client.begin().put(b("k"), null)).isInstanceOf(InvalidRequestException.class);
            assertThatThrownBy(() -> client.begin(Duration.ZERO)).isInstanceOf(InvalidRequestException.class);
        }
    }

    @Test
    void aReaderFinishesATransactionWhoseCoordinatorDiedAfterPreparing() throws Exception {
        cluster = new LocalCluster(dir, 3, 8, 3);
        try (BulwarkClient client = BulwarkClient.connect(cluster.clientOptions())) {
            String[] k = keysOnTwoPartitions(client);
            Commit c = commitOf(client, new TxnId(42, 1), System.currentTimeMillis() + 60_000, k);
            // The coordinator prepares everywhere and dies before telling anyone: it is committed.
            for (Commit.Request r : c.prepares()) {
                assertThat(client.transactionCommand(r.partition(), r.command()).get())
                        .isInstanceOf(TxnResult.Prepared.class);
            }
            // A plain read meets the intent, finds the transaction committed, resolves it, and reads the new value.
            assertThat(s(client.get(b(k[1])))).isEqualTo("new-1");
            assertThat(s(client.get(b(k[0])))).isEqualTo("new-0");
        }
    }

    @Test
    void anAbandonedHalfPreparedTransactionIsAbortedByTheSweeperAfterItsDeadline() throws Exception {
        cluster = new LocalCluster(dir, 3, 8, 3);
        try (BulwarkClient client = BulwarkClient.connect(cluster.clientOptions())) {
            String[] k = keysOnTwoPartitions(client);
            client.put(b(k[0]), b("old-0"));
            TxnId id = new TxnId(42, 2);
            long deadline = System.currentTimeMillis() + 300;
            Commit c = commitOf(client, id, deadline, k);
            int other = c.participants().stream().filter(p -> p != c.home()).findFirst().orElseThrow();
            assertThat(client.transactionCommand(other, c.prepareFor(other).command()).get())
                    .isInstanceOf(TxnResult.Prepared.class);
            // Nobody touches it; the sweeper of the partition's leader aborts it after deadline + grace.
            long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            TxnState state;
            do {
                LockSupport.parkNanos(50_000_000);
                state = ((TxnResult.Outcome) client.transactionCommand(other, new TxnCommand.Status(id, deadline)).get())
                        .state();
            } while (state == TxnState.PREPARED && System.nanoTime() < until);
            assertThat(state).isEqualTo(TxnState.ABORTED);
            // Its home was fenced, so the late home prepare can never make it commit.
            assertThat(client.transactionCommand(c.home(), c.prepareFor(c.home()).command()).get())
                    .isEqualTo(new TxnResult.Refused(TxnResult.Reason.ALREADY_ABORTED, null));
            String key = client.partitionOf(b(k[0])) == other ? k[0] : k[1];
            assertThat(s(client.get(b(key)))).isEqualTo(key.equals(k[0]) ? "old-0" : null);
        }
    }

    @Test
    void aTransactionalScanSeesItsOwnWritesAndFailsOnAPhantom() throws Exception {
        cluster = new LocalCluster(dir, 3, 8, 3);
        try (BulwarkClient client = BulwarkClient.connect(cluster.clientOptions())) {
            for (int i = 0; i < 5; i++) {
                client.put(b("team/" + i), b("member-" + i));
            }
            Transaction tx = client.begin();
            tx.put(b("team/9"), b("mine"));
            tx.delete(b("team/0"));
            List<String> seen = tx.scan(b("team/"), b("team0"), 100).stream().map(kv -> s(kv.key())).toList();
            assertThat(seen).containsExactly("team/1", "team/2", "team/3", "team/4", "team/9");
            assertThat(tx.scan(b("team/"), b("team0"), 2)).hasSize(2);
            // Someone adds a member after the scan: a phantom; the commit must fail and apply nothing.
            client.put(b("team/5"), b("late"));
            tx.put(b("count"), b("5"));
            assertThatThrownBy(tx::commit).isInstanceOf(TransactionConflictException.class);
            assertThat(client.get(b("team/9"))).isNull();
            assertThat(s(client.get(b("team/0")))).isEqualTo("member-0");

            // Without interference the same kind of transaction commits, and a read-only scan validates.
            int members = client.transact(t -> {
                int n = t.scan(b("team/"), b("team0"), 100).size();
                t.put(b("count"), b(String.valueOf(n)));
                return n;
            });
            assertThat(members).isEqualTo(6);
            assertThat(s(client.get(b("count")))).isEqualTo("6");
            Transaction readOnly = client.begin();
            assertThat(readOnly.scan(b("team/"), b("team0"), 100)).hasSize(6);
            readOnly.commit();
            Transaction invalidated = client.begin();
            invalidated.scan(b("team/"), b("team0"), 100);
            client.delete(b("team/1"));
            assertThatThrownBy(invalidated::commit).isInstanceOf(TransactionConflictException.class)
                    .hasMessageContaining("consistent snapshot");
        }
    }

    private static Commit commitOf(BulwarkClient client, TxnId id, long deadline, String[] k) {
        TxnBuffer buf = new TxnBuffer();
        buf.write(b(k[0]), b("new-0"));
        buf.write(b(k[1]), b("new-1"));
        return buf.toCommit(id, deadline, client::partitionOf);
    }
}
