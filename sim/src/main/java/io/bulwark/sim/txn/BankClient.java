package io.bulwark.sim.txn;

import io.bulwark.core.RandomSource;
import io.bulwark.txn.Commit;
import io.bulwark.txn.Recovery;
import io.bulwark.txn.TxnBuffer;
import io.bulwark.txn.TxnCommand;
import io.bulwark.txn.TxnId;
import io.bulwark.txn.TxnResult;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A bank client: one transaction at a time, either a transfer (read two accounts, move up to 25 between them,
 * commit with parallel commit) or a balance audit (read every account, then validate every version: a
 * read-only transaction that takes no locks). Reads that meet another transaction's intent help it finish
 * (a {@link Recovery} — checking while it is within its deadline, forcing after). A coordinator whose prepare
 * answers do not come forces its own outcome. With faults on, it crashes at every step of the protocol now and
 * then and comes back as a new session, leaving its transaction for others to finish. Not thread-safe.
 */
final class BankClient {

    /** How long a transaction promises to take, on its client's clock. */
    static final long DEADLINE_MS = 200;
    static final double CRASH_PROBABILITY = 0.01;

    final int id;
    private final BankSimulation sim;
    private final RandomSource random;
    private final long clockSkewUs;
    private final Rpc rpc;
    private long incarnation;
    private long session;
    private long counter;
    private boolean crashed;
    private boolean busy;
    private boolean stopping;

    BankClient(BankSimulation sim, int id, long seed) {
        this.sim = sim;
        this.id = id;
        this.random = RandomSource.seeded(seed);
        this.clockSkewUs = sim.config.faults() ? (random.nextLong(61) - 30) * BankSimulation.MS : 0;
        this.rpc = new Rpc(sim, id, () -> incarnation);
        this.session = random.nextLong();
    }

    boolean busy() {
        return busy && !crashed;
    }

    void stopAfterCurrent() {
        stopping = true;
    }

    private long clockMs() {
        return (sim.now() + clockSkewUs) / BankSimulation.MS;
    }

    /** Crashes: everything in flight is forgotten; a new session starts 20–300 ms later. */
    void crash(String where) {
        if (crashed) {
            return;
        }
        crashed = true;
        busy = false;
        incarnation++;
        sim.fault("client " + id + " crashes " + where);
        sim.count("client crash " + where);
        sim.after((20 + random.nextLong(280)) * BankSimulation.MS, () -> {
            crashed = false;
            incarnation++;
            session = random.nextLong();
            next();
        });
    }

    /** True (and crashed) if a fault strikes at this step. */
    private boolean crashAt(String where) {
        if (sim.faultsOn() && random.nextDouble() < CRASH_PROBABILITY) {
            crash(where);
            return true;
        }
        return false;
    }

    void next() {
        busy = false;
        if (stopping || crashed || sim.finished()) {
            return;
        }
        if (!sim.loaded()) {
            long inc = incarnation;
            sim.after(5 * BankSimulation.MS, () -> {
                if (inc == incarnation) {
                    next();
                }
            });
            return;
        }
        busy = true;
        if (random.nextDouble() < 0.8) {
            transfer();
        } else {
            audit();
        }
    }

    private void nextSoon() {
        long inc = incarnation;
        busy = false;
        sim.after(random.nextLong(3 * BankSimulation.MS), () -> {
            if (inc == incarnation) {
                next();
            }
        });
    }

    // ---------------------------------------------------------------------------------------------------------
    // Reads: value and version, helping any transaction in the way.

    private void read(TxnBuffer buf, TxnHistory.Txn t, String key, Runnable then, Runnable gaveUp) {
        byte[] k = bytes(key);
        int p = sim.partitionOf(k);
        rpc.call(p, new TxnCommand.Read(k), 8, answer -> {
            if (answer instanceof TxnResult.Value v) {
                if (v.value() == null) {
                    sim.violation("client " + id + " read no balance for " + key + " on partition " + p);
                    return;
                }
                buf.recordRead(k, v.value(), v.version());
                t.reads.putIfAbsent(key, string(v.value()));
                then.run();
            } else if (answer instanceof TxnResult.Locked l) {
                help(l, p, () -> read(buf, t, key, then, gaveUp));
            } else {
                sim.violation("client " + id + " read of " + key + " answered " + answer);
            }
        }, gaveUp);
    }

    /** The range every account lies in. */
    static final byte[] ACCOUNTS_START = bytes("acct-");
    static final byte[] ACCOUNTS_END = bytes("acct.");

    /**
     * Reads every account by a range read on every partition (phantom-checked at commit), helping any
     * transaction whose intent is in the way.
     */
    private void scanAll(TxnBuffer buf, TxnHistory.Txn t, Runnable then, Runnable gaveUp) {
        int[] left = {sim.config.partitions()};
        boolean[] failed = {false};
        for (int p = 0; p < sim.config.partitions(); p++) {
            scanPartition(p, answer -> {
                java.util.List<TxnCommand.Versioned> seen = new ArrayList<>();
                for (TxnResult.Entry e : answer.entries()) {
                    seen.add(new TxnCommand.Versioned(e.key(), e.version()));
                    buf.recordRead(e.key(), e.value(), e.version());
                    t.reads.putIfAbsent(string(e.key()), string(e.value()));
                }
                buf.recordRange(answer.partition, new TxnCommand.RangeCheck(ACCOUNTS_START, ACCOUNTS_END, seen));
                if (--left[0] == 0 && !failed[0]) {
                    then.run();
                }
            }, () -> {
                if (!failed[0]) {
                    failed[0] = true;
                    gaveUp.run();
                }
            });
        }
    }

    /** A partition's answer to a range read over the accounts. */
    private record Scanned(int partition, java.util.List<TxnResult.Entry> entries) {
    }

    private void scanPartition(int p, java.util.function.Consumer<Scanned> then, Runnable gaveUp) {
        rpc.call(p, new TxnCommand.RangeRead(ACCOUNTS_START, ACCOUNTS_END, 1_000), 8, answer -> {
            if (answer instanceof TxnResult.Range r && r.resumeKey() == null) {
                then.accept(new Scanned(p, r.entries()));
            } else if (answer instanceof TxnResult.Locked l) {
                help(l, p, () -> scanPartition(p, then, gaveUp));
            } else {
                sim.violation("client " + id + " range read of partition " + p + " answered " + answer);
            }
        }, gaveUp);
    }

    /** Helps the transaction holding a key finish, then retries. */
    private void help(TxnResult.Locked l, int foundAt, Runnable retry) {
        boolean force = clockMs() > l.deadline() + SimPartition.SWEEP_GRACE_US / BankSimulation.MS;
        Recovery r = new Recovery(l.txn(), l.home(), l.deadline(), force ? Recovery.Mode.FORCE : Recovery.Mode.CHECK,
                List.of(foundAt));
        long inc = incarnation;
        rpc.recover(r, 8, done -> {
            if (inc != incarnation) {
                return;
            }
            if (done == null || done.verdict() == Recovery.Verdict.PENDING) {
                sim.count(done == null ? "help: no answer, retry" : "help: holder still running, wait");
                sim.after((2 + random.nextLong(10)) * BankSimulation.MS, () -> {
                    if (inc == incarnation) {
                        retry.run();
                    }
                });
                return;
            }
            if (done.verdict() == Recovery.Verdict.UNDECIDABLE) {
                sim.violation("client " + id + " could not decide: " + done.explanation());
                return;
            }
            sim.count("help: " + (force ? "forced " : "found ") + done.verdict());
            rpc.resolve(done.resolutions(), done.verdict() == Recovery.Verdict.COMMITTED, "client " + id);
            sim.after(BankSimulation.MS, () -> {
                if (inc == incarnation) {
                    retry.run();
                }
            });
        });
    }

    // ---------------------------------------------------------------------------------------------------------
    // Transfers.

    private void transfer() {
        TxnId txn = new TxnId(session, ++counter);
        long deadline = clockMs() + DEADLINE_MS;
        TxnHistory.Txn t = sim.history.begin(txn, id, false, sim.now());
        int a = (int) random.nextLong(sim.config.accounts());
        int b;
        do {
            b = (int) random.nextLong(sim.config.accounts());
        } while (b == a);
        String ka = BankSimulation.account(a);
        String kb = BankSimulation.account(b);
        TxnBuffer buf = new TxnBuffer();
        Runnable gaveUp = () -> {
            // Nothing prepared yet: the transaction simply did not happen.
            sim.history.told(t, TxnHistory.Told.ABORTED, sim.now());
            nextSoon();
        };
        boolean byRange = random.nextDouble() < 0.1;
        if (byRange) {
            sim.count("transfer read by range scans");
        }
        java.util.function.BiConsumer<Runnable, Runnable> reads = byRange ? (then, fail) -> scanAll(buf, t, then, fail)
                : (then, fail) -> read(buf, t, ka, () -> read(buf, t, kb, then, fail), fail);
        reads.accept(() -> {
            if (crashAt("after reads, before prepare")) {
                return;
            }
            if (sim.config.sabotage() == BankConfig.Sabotage.SKIP_READ_VALIDATION) {
                // Broken on purpose: validate against versions read again now, not the ones the amounts came from.
                TxnBuffer fresh = new TxnBuffer();
                TxnHistory.Txn scratch = new TxnHistory.Txn(txn, id, false, sim.now());
                read(fresh, scratch, ka, () -> read(fresh, scratch, kb,
                        () -> commit(t, txn, deadline, fresh, ka, kb, balance(t.reads.get(ka)), balance(t.reads.get(kb))),
                        gaveUp), gaveUp);
                return;
            }
            commit(t, txn, deadline, buf, ka, kb, balance(t.reads.get(ka)), balance(t.reads.get(kb)));
        }, gaveUp);
    }

    private void commit(TxnHistory.Txn t, TxnId txn, long deadline, TxnBuffer buf, String ka, String kb, int balA,
                        int balB) {
        int amount = (int) random.nextLong(Math.min(balA, 25) + 1);
        String va = (balA - amount) + ":" + txn;
        String vb = (balB + amount) + ":" + txn;
        buf.write(bytes(ka), bytes(va));
        buf.write(bytes(kb), bytes(vb));
        t.writes.put(ka, va);
        t.writes.put(kb, vb);
        Commit c = buf.toCommit(txn, deadline, sim::partitionOf);
        t.home = c.home();
        t.participants.addAll(c.participants());
        if (c.participants().size() == 1) {
            sim.count("one-phase commit attempted");
        }
        sim.trace(new Object() {
            @Override
            public String toString() {
                return "client " + id + " commits " + t;
            }
        });
        boolean[] decided = {false};
        long inc = incarnation;
        List<Commit.Request> prepares = c.prepares();
        for (int i = 0; i < prepares.size(); i++) {
            if (i > 0 && crashAt("between prepares")) {
                return;
            }
            Commit.Request r = prepares.get(i);
            rpc.call(r.partition(), r.command(), 8, answer -> {
                if (decided[0]) {
                    return;
                }
                if (answer instanceof TxnResult.Refused refused) {
                    sim.count("prepare refused: " + refused.reason());
                }
                if (sim.config.sabotage() == BankConfig.Sabotage.ACK_BEFORE_ALL_PREPARED && r.partition() == c.home()
                        && answer instanceof TxnResult.Prepared && t.told == TxnHistory.Told.NOTHING) {
                    sim.history.told(t, TxnHistory.Told.COMMITTED, sim.now());
                }
                Commit.Phase phase = c.onPrepareAnswer(r.partition(), answer);
                if (phase != Commit.Phase.PREPARING) {
                    decided[0] = true;
                    finish(t, phase == Commit.Phase.COMMITTED, c.resolutions());
                }
            }, () -> {
                if (decided[0] || inc != incarnation) {
                    return;
                }
                decided[0] = true;
                sim.count("coordinator lost a prepare answer, forces the outcome");
                forceOwn(t, c, inc);
            });
        }
        crashAt("after every prepare was sent");
    }

    /** The coordinator's own recovery: fence everyone, learn the outcome, tell the client. */
    private void forceOwn(TxnHistory.Txn t, Commit c, long inc) {
        Recovery r = new Recovery(c.id(), c.home(), c.deadline(), Recovery.Mode.FORCE, c.participants());
        rpc.recover(r, 20, done -> {
            if (inc != incarnation) {
                return;
            }
            if (done == null) {
                sim.after(20 * BankSimulation.MS, () -> {
                    if (inc == incarnation) {
                        forceOwn(t, c, inc);
                    }
                });
                return;
            }
            if (done.verdict() == Recovery.Verdict.UNDECIDABLE) {
                sim.violation("coordinator " + id + " could not decide its own transaction: " + done.explanation());
                return;
            }
            finish(t, done.verdict() == Recovery.Verdict.COMMITTED, done.resolutions());
        });
    }

    private void finish(TxnHistory.Txn t, boolean committed, List<Commit.Request> resolutions) {
        if (t.told == TxnHistory.Told.NOTHING) {
            sim.history.told(t, committed ? TxnHistory.Told.COMMITTED : TxnHistory.Told.ABORTED, sim.now());
        }
        if (crashAt("decided, before resolving")) {
            return;
        }
        if (!resolutions.isEmpty()) {
            rpc.resolve(resolutions.subList(0, resolutions.size() - 1), committed, "client " + id);
            if (crashAt("between resolutions")) {
                return;
            }
            rpc.resolve(resolutions.subList(resolutions.size() - 1, resolutions.size()), committed, "client " + id);
        }
        nextSoon();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Audits: read every account, then check no version moved.

    private void audit() {
        TxnHistory.Txn t = sim.history.begin(new TxnId(session, ++counter), id, true, sim.now());
        TxnBuffer buf = new TxnBuffer();
        boolean[] over = {false};
        Runnable gaveUp = () -> {
            if (!over[0]) {
                over[0] = true;
                sim.history.told(t, TxnHistory.Told.ABORTED, sim.now());
                nextSoon();
            }
        };
        if (random.nextDouble() < 0.5) {
            scanAll(buf, t, () -> validateRanges(buf, t, over, gaveUp), gaveUp);
            return;
        }
        // Every read at once, then every validation at once: the window a transfer can invalidate stays short.
        int[] left = {sim.config.accounts()};
        for (int i = 0; i < sim.config.accounts(); i++) {
            read(buf, t, BankSimulation.account(i), () -> {
                if (--left[0] == 0 && !over[0]) {
                    validate(buf, t, over, gaveUp);
                }
            }, gaveUp);
        }
    }

    /** A range audit commits if every partition's range still holds exactly the keys and versions it saw. */
    private void validateRanges(TxnBuffer buf, TxnHistory.Txn t, boolean[] over, Runnable gaveUp) {
        int[] left = {sim.config.partitions()};
        for (java.util.Map.Entry<Integer, java.util.List<TxnCommand.RangeCheck>> e : buf.ranges().entrySet()) {
            TxnCommand.RangeCheck then = e.getValue().get(0);
            rpc.call(e.getKey(), new TxnCommand.RangeRead(ACCOUNTS_START, ACCOUNTS_END, 1_000), 8, answer -> {
                if (over[0]) {
                    return;
                }
                boolean same = answer instanceof TxnResult.Range r && r.entries().size() == then.seen().size();
                for (int i = 0; same && i < then.seen().size(); i++) {
                    TxnResult.Entry now = ((TxnResult.Range) answer).entries().get(i);
                    same = java.util.Arrays.equals(now.key(), then.seen().get(i).key())
                            && now.version() == then.seen().get(i).version();
                }
                if (!same) {
                    over[0] = true;
                    sim.count("audit invalidated by a concurrent transfer, retried");
                    sim.history.told(t, TxnHistory.Told.ABORTED, sim.now());
                    nextSoon();
                    return;
                }
                if (--left[0] == 0) {
                    over[0] = true;
                    auditSucceeded(t, "audit by range scans validated");
                }
            }, gaveUp);
        }
    }

    private void auditSucceeded(TxnHistory.Txn t, String probe) {
        sim.history.told(t, TxnHistory.Told.COMMITTED, sim.now());
        long total = 0;
        for (String value : t.reads.values()) {
            total += balance(value);
        }
        if (total != (long) BankConfig.INITIAL_BALANCE * sim.config.accounts()) {
            sim.violation("audit " + t.id + " saw a total of " + total + ": " + t.reads);
        }
        sim.count(probe);
        nextSoon();
    }

    private void validate(TxnBuffer buf, TxnHistory.Txn t, boolean[] over, Runnable gaveUp) {
        int[] left = {sim.config.accounts()};
        for (int i = 0; i < sim.config.accounts(); i++) {
            byte[] k = bytes(BankSimulation.account(i));
            rpc.call(sim.partitionOf(k), new TxnCommand.Read(k), 8, answer -> {
                if (over[0]) {
                    return;
                }
                if (!(answer instanceof TxnResult.Value v) || v.version() != buf.readVersion(k)) {
                    over[0] = true;
                    sim.count("audit invalidated by a concurrent transfer, retried");
                    sim.history.told(t, TxnHistory.Told.ABORTED, sim.now());
                    nextSoon();
                    return;
                }
                if (--left[0] > 0) {
                    return;
                }
                over[0] = true;
                auditSucceeded(t, "audit validated");
            }, gaveUp);
        }
    }

    static int balance(String value) {
        return Integer.parseInt(value.substring(0, value.indexOf(':')));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String string(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }
}
