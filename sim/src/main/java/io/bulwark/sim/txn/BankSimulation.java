package io.bulwark.sim.txn;

import io.bulwark.core.RandomSource;
import io.bulwark.paxos.kv.KvCommand;
import io.bulwark.paxos.kv.KvResult;
import io.bulwark.txn.TxnState;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * One deterministic run of the bank over the transaction protocol: {@link BankConfig#partitions()} partitions
 * ({@link SimPartition}), {@link BankConfig#clients()} clients ({@link BankClient}), a network between them,
 * and a fault schedule, all on the calling thread in virtual time from one seed.
 *
 * <h2>Faults (while on)</h2>
 * Every message (request or answer) is lost with 3% odds, duplicated with 3%, delayed 0.2–5 ms (so reordered);
 * every 30–150 ms one of: a partition fails over (down 20–400 ms; commands in flight chosen or lost), a client or
 * a partition's sweeper is cut off from a partition (100–600 ms), or a client crashes (1% odds at every protocol
 * step besides). Clocks are skewed ±30 ms.
 *
 * <h2>Checks</h2>
 * Every audit sees the conserved total; every transaction is committed at all of its participants or at none;
 * every transaction told committed is committed, every one told aborted is not; nothing stays prepared or locked
 * once faults stop (helpers finish every abandoned transaction); the final balances are the last committed
 * versions and sum to the total; and the committed history is strictly serializable
 * ({@link SerializabilityChecker}).
 *
 * <p>Not thread-safe; one run per instance.
 */
public final class BankSimulation {

    static final long MS = 1_000;
    private static final double LOSS = 0.03;
    private static final double DUPLICATION = 0.03;

    final BankConfig config;
    final TxnHistory history = new TxnHistory();
    private final RandomSource random;
    private final io.bulwark.sim.EventQueue queue = new io.bulwark.sim.EventQueue();
    private final List<String> violations = new ArrayList<>();
    private final TreeMap<String, Long> coverage = new TreeMap<>();
    private final io.bulwark.sim.TraceBuffer trace = new io.bulwark.sim.TraceBuffer(300);
    private final SimPartition[] partitions;
    private final List<BankClient> clients = new ArrayList<>();
    /** "endpoint/partition" → virtual time the cut heals. */
    private final TreeMap<String, Long> cuts = new TreeMap<>();
    private boolean faultsOn;
    private boolean finished;

    private BankSimulation(BankConfig config) {
        this.config = config;
        this.random = RandomSource.seeded(config.seed());
        this.faultsOn = config.faults();
        this.partitions = new SimPartition[config.partitions()];
        for (int p = 0; p < partitions.length; p++) {
            partitions[p] = new SimPartition(this, p, random.nextLong(), config.paxos());
        }
    }

    /** Runs one bank simulation to the end and checks it. */
    public static BankResult run(BankConfig config) {
        return new BankSimulation(config).execute();
    }

    long now() {
        return queue.now();
    }

    /** The virtual time every part of the run shares, embedded Paxos groups included. */
    io.bulwark.sim.EventQueue queue() {
        return queue;
    }

    void after(long delayUs, Runnable action) {
        queue.after(delayUs, action);
    }

    boolean faultsOn() {
        return faultsOn;
    }

    boolean finished() {
        return finished;
    }

    void count(String probe) {
        coverage.merge(probe, 1L, Long::sum);
    }

    void trace(Object event) {
        trace.add(now(), event);
    }

    void fault(String what) {
        trace("FAULT " + what);
    }

    void violation(String what) {
        violations.add(what);
        trace("VIOLATION " + what);
        finished = true;
    }

    static String account(int i) {
        return String.format("acct-%03d", i);
    }

    int partitionOf(byte[] key) {
        return Math.floorMod(Arrays.hashCode(key) * 0x9E3779B1, partitions.length);
    }

    /** A request from {@code endpoint} to a partition's leader, and its answer back, through the faulty network. */
    void send(int endpoint, int partition, byte[] request, boolean query, Consumer<byte[]> reply) {
        String link = endpoint + "/" + partition;
        if (lost(link)) {
            return;
        }
        int copies = faultsOn && random.nextDouble() < DUPLICATION ? 2 : 1;
        if (copies == 2) {
            count("request duplicated");
        }
        for (int i = 0; i < copies; i++) {
            after(delayUs(), () -> partitions[partition].receive(request, query, answer -> {
                if (lost(link)) {
                    return;
                }
                after(delayUs(), () -> reply.accept(answer));
            }));
        }
    }

    private boolean lost(String link) {
        Long healsAt = cuts.get(link);
        if (healsAt != null && healsAt > now()) {
            return true;
        }
        return faultsOn && random.nextDouble() < LOSS;
    }

    private long delayUs() {
        return 200 + random.nextLong(faultsOn ? 4_800 : 800);
    }

    private BankResult execute() {
        for (int i = 0; i < config.accounts(); i++) {
            byte[] k = account(i).getBytes(StandardCharsets.UTF_8);
            byte[] put = KvCommand.put(k, (BankConfig.INITIAL_BALANCE + ":init").getBytes(StandardCharsets.UTF_8)).encode();
            SimPartition.Backend b = partitions[partitionOf(k)].backend();
            if (b instanceof SimPartition.Modelled m) {
                m.load(put);
            } else {
                loadThroughConsensus(partitionOf(k), put);
            }
        }
        for (SimPartition p : partitions) {
            p.startSweeper();
        }
        for (int c = 0; c < config.clients(); c++) {
            BankClient client = new BankClient(this, 100 + c, random.nextLong());
            clients.add(client);
            after(random.nextLong(10 * MS), client::next);
        }
        if (faultsOn) {
            after(gap(), this::nextFault);
        }
        long quietAt = config.faultMs() * MS;
        long stopClientsAt = quietAt + config.quietMs() * MS / 2;
        long endAt = quietAt + config.quietMs() * MS;
        after(quietAt, this::quiet);
        after(stopClientsAt, () -> clients.forEach(BankClient::stopAfterCurrent));
        after(endAt, this::awaitSettled);
        long hardStop = endAt + 10_000 * MS;
        try {
            while (!queue.isEmpty() && !finished) {
                if (queue.nextTime() > hardStop) {
                    violation("not settled 10 s after the clients stopped: " + unsettled());
                    break;
                }
                queue.runNext();
            }
        } catch (RuntimeException | AssertionError e) {
            violation("protocol or driver failed: " + e);
        }
        for (SimPartition p : partitions) {
            if (p.backend() instanceof PaxosGroup g) {
                g.group().checkConvergence();
                for (String v : g.group().violations()) {
                    violations.add("partition " + p.id + "'s Paxos group: " + v);
                }
                g.group().coverage().forEach((k, v) -> coverage.merge("paxos: " + k, v, Long::sum));
            }
        }
        if (violations.isEmpty()) {
            checkFinalState();
        }
        int committed = 0;
        int aborted = 0;
        int audits = 0;
        for (TxnHistory.Txn t : history.all()) {
            if (t.readOnly) {
                audits += t.told == TxnHistory.Told.COMMITTED ? 1 : 0;
            } else if (isCommitted(t)) {
                committed++;
            } else {
                aborted++;
            }
        }
        return new BankResult(config.seed(), committed, aborted, audits, List.copyOf(violations),
                new TreeMap<>(coverage), violations.isEmpty() ? List.of() : trace.lines());
    }

    /** Writes one initial value through the partition's group before clients start, resending until answered. */
    private void loadThroughConsensus(int partition, byte[] put) {
        boolean[] done = {false};
        Runnable[] attempt = new Runnable[1];
        attempt[0] = () -> {
            if (done[0]) {
                return;
            }
            partitions[partition].receive(put, false, answer -> {
                if (!done[0]) {
                    done[0] = true;
                    loading--;
                }
            });
            after(30 * MS, attempt[0]);
        };
        loading++;
        attempt[0].run();
    }

    /** Initial values still being written through consensus; clients start once none is left. */
    private int loading;

    private long gap() {
        return (30 + random.nextLong(120)) * MS;
    }

    private void nextFault() {
        if (!faultsOn || finished) {
            return;
        }
        double p = random.nextDouble();
        if (p < 0.4) {
            // A modelled partition fails over; a real Paxos group's replicas crash on their own group's schedule.
            SimPartition part = partitions[(int) random.nextLong(partitions.length)];
            part.failover((20 + random.nextLong(380)) * MS);
        } else if (p < 0.8) {
            int partition = (int) random.nextLong(partitions.length);
            boolean sweeper = random.nextDouble() < 0.3;
            int endpoint = sweeper ? 1_000 + (int) random.nextLong(partitions.length)
                    : clients.get((int) random.nextLong(clients.size())).id;
            long heal = (100 + random.nextLong(500)) * MS;
            cuts.put(endpoint + "/" + partition, now() + heal);
            fault("cut " + (sweeper ? "sweeper of partition " + (endpoint - 1_000) : "client " + endpoint)
                    + " from partition " + partition + " for " + heal / MS + " ms");
            count("network cut");
        } else {
            clients.get((int) random.nextLong(clients.size())).crash("(fault schedule)");
        }
        after(gap(), this::nextFault);
    }

    /** True once every account holds its initial balance: clients wait for it. */
    boolean loaded() {
        return loading == 0;
    }

    private void quiet() {
        faultsOn = false;
        cuts.clear();
        fault("faults stop");
        for (SimPartition p : partitions) {
            p.recover();
        }
    }

    /** After the clients stop: wait until no client is busy and nothing is prepared anywhere. */
    private void awaitSettled() {
        for (BankClient c : clients) {
            c.stopAfterCurrent();
        }
        if (!unsettled().isEmpty()) {
            after(10 * MS, this::awaitSettled);
            return;
        }
        finished = true;
    }

    private String unsettled() {
        StringBuilder b = new StringBuilder();
        for (BankClient c : clients) {
            if (c.busy()) {
                b.append("client ").append(c.id).append(" busy; ");
            }
        }
        for (SimPartition p : partitions) {
            if (p.state().preparedCount() > 0 || p.state().lockedKeys() > 0) {
                b.append("partition ").append(p.id).append(": ").append(p.state().preparedCount())
                        .append(" prepared, ").append(p.state().lockedKeys()).append(" locked keys");
                if (p.backend() instanceof PaxosGroup g) {
                    b.append(" (").append(g.group().describe()).append(" faults:\n")
                            .append(String.join("\n", g.group().faults())).append(")");
                }
                b.append("; ");
            }
        }
        return b.toString();
    }

    private boolean isCommitted(TxnHistory.Txn t) {
        return t.home >= 0 && partitions[t.home].state().stateOf(t.id) == TxnState.COMMITTED;
    }

    private void checkFinalState() {
        // Atomicity and what clients were told.
        List<SerializabilityChecker.Committed> committed = new ArrayList<>();
        for (TxnHistory.Txn t : history.all()) {
            if (t.readOnly) {
                if (t.told == TxnHistory.Told.COMMITTED) {
                    committed.add(new SerializabilityChecker.Committed("audit " + t.id, t.reads, t.writes,
                            t.invokedUs, t.completedUs));
                }
                continue;
            }
            TreeMap<Integer, TxnState> states = new TreeMap<>();
            for (int p : t.participants) {
                states.put(p, partitions[p].state().stateOf(t.id));
            }
            boolean anyCommitted = states.containsValue(TxnState.COMMITTED);
            boolean allCommitted = !states.isEmpty() && states.values().stream().allMatch(s -> s == TxnState.COMMITTED);
            if (anyCommitted && !allCommitted) {
                violations.add("transaction " + t.id + " committed at some participants only: " + states);
            }
            if (t.told == TxnHistory.Told.COMMITTED && !allCommitted) {
                violations.add("transaction " + t.id + " was acknowledged committed but is not: " + states + " — " + t);
            }
            if (t.told == TxnHistory.Told.ABORTED && anyCommitted) {
                violations.add("transaction " + t.id + " was reported aborted but committed: " + states);
            }
            if (allCommitted) {
                count("transfer committed" + (t.told == TxnHistory.Told.NOTHING ? " (client never told)" : ""));
                committed.add(new SerializabilityChecker.Committed("transfer " + t.id, t.reads, t.writes,
                        t.invokedUs, t.told == TxnHistory.Told.COMMITTED ? t.completedUs : -1));
            }
        }
        // Final balances: conserved, and each the end of its key's version chain.
        TreeMap<String, String> initial = new TreeMap<>();
        TreeMap<String, String> finalValues = new TreeMap<>();
        long total = 0;
        for (SimPartition p : partitions) {
            KvResult r = p.state().committed(new byte[0], KvCommand.MAX_SCAN_LIMIT);
            for (KvResult.KeyValue kv : ((KvResult.Entries) r).entries()) {
                String v = new String(kv.value(), StandardCharsets.UTF_8);
                finalValues.put(new String(kv.key(), StandardCharsets.UTF_8), v);
                total += BankClient.balance(v);
            }
        }
        for (int i = 0; i < config.accounts(); i++) {
            initial.put(account(i), BankConfig.INITIAL_BALANCE + ":init");
        }
        if (total != (long) BankConfig.INITIAL_BALANCE * config.accounts()) {
            violations.add("final balances sum to " + total + ": " + finalValues);
        }
        TreeMap<String, String> overwritten = new TreeMap<>();
        for (SerializabilityChecker.Committed c : committed) {
            for (String k : c.writes().keySet()) {
                overwritten.put(k + "=" + c.reads().get(k), c.name());
            }
        }
        for (java.util.Map.Entry<String, String> e : finalValues.entrySet()) {
            String by = overwritten.get(e.getKey() + "=" + e.getValue());
            if (by != null) {
                violations.add("account " + e.getKey() + " ends at " + e.getValue() + ", which committed " + by
                        + " overwrote: a committed write is missing");
            }
        }
        // The final read of every account joins the history as one last audit, after everything.
        committed.add(new SerializabilityChecker.Committed("final state", finalValues, java.util.Map.of(), now() + 1,
                now() + 2));
        violations.addAll(SerializabilityChecker.check(committed, initial));
    }
}
