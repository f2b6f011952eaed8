package io.bulwark.cli;

import io.bulwark.client.BulwarkClient;
import io.bulwark.client.BulwarkException;
import io.bulwark.client.Transaction;
import io.bulwark.client.TransactionConflictException;
import io.bulwark.sim.txn.SerializabilityChecker;
import io.bulwark.txn.TxnCommand;
import io.bulwark.txn.TxnId;
import io.bulwark.txn.TxnResult;
import io.bulwark.txn.TxnState;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A checked bank against a real cluster: worker threads move money between accounts spread over the
 * partitions with transactions, and audit the total with read-only transactions. Every written value is
 * {@code "<balance>:<transaction id>"}, unique, so the history of committed transactions can be checked for
 * strict serializability by the simulator's checker; every audit must see the initial total; at the end the
 * balances must sum to it. Used by the demo and the multi-process tests.
 *
 * <p>Thread-safety: {@link #start}, {@link #stop} and the counters may be called from any thread.
 */
final class BankWorkload {

    static final int INITIAL_BALANCE = 1_000;

    private record Unknown(TxnId id, int home, long deadline, Map<String, String> reads, Map<String, String> writes,
                           long invokedNanos) {
    }

    private final BulwarkClient client;
    private final int workers;
    private final int accounts;
    private final long seed;
    private final List<SerializabilityChecker.Committed> committed = Collections.synchronizedList(new ArrayList<>());
    private final List<Unknown> unknown = Collections.synchronizedList(new ArrayList<>());
    private final List<String> violations = Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong transfers = new AtomicLong();
    private final AtomicLong conflicts = new AtomicLong();
    private final AtomicLong audits = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean stopping;

    BankWorkload(BulwarkClient client, int workers, int accounts, long seed) {
        this.client = client;
        this.workers = workers;
        this.accounts = accounts;
        this.seed = seed;
    }

    static String account(int i) {
        return String.format("bank/acct-%03d", i);
    }

    /** Opens every account with the initial balance. */
    void open() {
        for (int i = 0; i < accounts; i++) {
            client.put(bytes(account(i)), bytes(INITIAL_BALANCE + ":init"));
        }
    }

    long total() {
        return (long) INITIAL_BALANCE * accounts;
    }

    /** How many partitions the accounts are spread over. */
    int partitionsUsed() {
        java.util.TreeSet<Integer> parts = new java.util.TreeSet<>();
        for (int i = 0; i < accounts; i++) {
            parts.add(client.partitionOf(bytes(account(i))));
        }
        return parts.size();
    }

    void start() {
        for (int w = 0; w < workers; w++) {
            int id = w;
            Thread t = new Thread(() -> run(id), "bank-" + w);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    void stop() throws InterruptedException {
        stopping = true;
        for (Thread t : threads) {
            t.join(60_000);
        }
    }

    long transfers() {
        return transfers.get();
    }

    long conflicts() {
        return conflicts.get();
    }

    long audits() {
        return audits.get();
    }

    /** Commits that failed for other reasons than a conflict (unavailable, outcome unknown). */
    long failures() {
        return failures.get();
    }

    int unknownOutcomes() {
        return unknown.size();
    }

    /** Waits until {@code more} further transfers committed; false on timeout. */
    boolean awaitTransfers(long more, long timeoutMs) {
        long target = transfers.get() + more;
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (transfers.get() < target) {
            if (System.nanoTime() > until) {
                return false;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        return true;
    }

    private void run(int worker) {
        SplittableRandom random = new SplittableRandom(seed * 1_000_003 + worker);
        long backoff = 1;
        while (!stopping) {
            try {
                boolean ok = random.nextInt(5) == 0 ? auditUntilConsistent() : transfer(random);
                backoff = ok ? 1 : Math.min(backoff * 2, 64);
                if (!ok) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(random.nextLong(backoff) + 1));
                }
            } catch (BulwarkException e) {
                // Unavailable during reads (a node died): nothing was prepared; try again shortly.
                failures.incrementAndGet();
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
        }
    }

    private boolean transfer(SplittableRandom random) {
        String from = account(random.nextInt(accounts));
        String to;
        do {
            to = account(random.nextInt(accounts));
        } while (to.equals(from));
        long invoked = System.nanoTime();
        Transaction tx = client.begin(Duration.ofSeconds(10));
        TreeMap<String, String> reads = new TreeMap<>();
        TreeMap<String, String> writes = new TreeMap<>();
        String a = string(tx.get(bytes(from)));
        String b = string(tx.get(bytes(to)));
        reads.put(from, a);
        reads.put(to, b);
        int balA = balance(a);
        int amount = Math.min(balA, 1 + random.nextInt(50));
        writes.put(from, (balA - amount) + ":" + tx.id());
        writes.put(to, (balance(b) + amount) + ":" + tx.id());
        for (Map.Entry<String, String> w : writes.entrySet()) {
            tx.put(bytes(w.getKey()), bytes(w.getValue()));
        }
        try {
            tx.commit();
        } catch (TransactionConflictException e) {
            conflicts.incrementAndGet();
            return false;
        } catch (BulwarkException e) {
            // Unavailable or outcome unknown: committed everywhere or nowhere; found out at the end.
            failures.incrementAndGet();
            unknown.add(new Unknown(tx.txnId(), client.partitionOf(bytes(writes.firstKey())),
                    tx.deadlineMillis(), reads, writes, invoked));
            return false;
        }
        committed.add(new SerializabilityChecker.Committed("transfer " + tx.id(), reads, writes, invoked, System.nanoTime()));
        transfers.incrementAndGet();
        return true;
    }

    /** An audit retried (as an application would) until it reads a consistent snapshot, at most 20 times. */
    private boolean auditUntilConsistent() {
        for (int attempt = 0; attempt < 20 && !stopping; attempt++) {
            if (audit()) {
                return true;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1 + attempt));
        }
        return false;
    }

    private boolean audit() {
        long invoked = System.nanoTime();
        Transaction tx = client.begin(Duration.ofSeconds(10));
        TreeMap<String, String> reads = new TreeMap<>();
        long sum = 0;
        List<byte[]> keys = new ArrayList<>();
        for (int i = 0; i < accounts; i++) {
            keys.add(bytes(account(i)));
        }
        List<byte[]> values = tx.getAll(keys);
        for (int i = 0; i < accounts; i++) {
            String v = string(values.get(i));
            reads.put(account(i), v);
            sum += balance(v);
        }
        try {
            tx.commit();
        } catch (TransactionConflictException e) {
            conflicts.incrementAndGet();
            return false;
        }
        if (sum != total()) {
            violations.add("audit " + tx.id() + " saw a total of " + sum + " instead of " + total() + ": " + reads);
        }
        committed.add(new SerializabilityChecker.Committed("audit " + tx.id(), reads, Map.of(), invoked, System.nanoTime()));
        audits.incrementAndGet();
        return true;
    }

    /** The outcome of {@link #verify()}. */
    record Verdict(boolean ok, long total, int committedChecked, int unknownResolvedCommitted, List<String> violations) {
        String describe() {
            return ok ? "serializable, total " + total + " conserved, " + committedChecked + " transactions checked"
                    + (unknownResolvedCommitted > 0 ? " (" + unknownResolvedCommitted + " with an unknown outcome found committed)" : "")
                    : "VIOLATIONS: " + String.join("; ", violations);
        }
    }

    /**
     * After {@link #stop()}: reads the final balances (plain reads finish any transaction still in the way),
     * learns the outcome of every commit whose answer was lost, and checks conservation and serializability.
     */
    Verdict verify() {
        List<String> found = new ArrayList<>(violations);
        TreeMap<String, String> finalValues = new TreeMap<>();
        TreeMap<String, String> initial = new TreeMap<>();
        long sum = 0;
        for (int i = 0; i < accounts; i++) {
            String v = string(client.get(bytes(account(i))));
            finalValues.put(account(i), v);
            initial.put(account(i), INITIAL_BALANCE + ":init");
            sum += balance(v);
        }
        if (sum != total()) {
            found.add("final balances sum to " + sum + " instead of " + total() + ": " + finalValues);
        }
        List<SerializabilityChecker.Committed> all = new ArrayList<>(committed);
        int resolved = 0;
        for (Unknown u : unknown) {
            TxnResult r = client.transactionCommand(u.home(), new TxnCommand.Status(u.id(), u.deadline())).join();
            if (r instanceof TxnResult.Outcome o && o.state() == TxnState.COMMITTED) {
                all.add(new SerializabilityChecker.Committed("transfer " + u.id() + " (outcome was unknown)", u.reads(),
                        u.writes(), u.invokedNanos(), -1));
                resolved++;
            }
        }
        long end = System.nanoTime();
        all.add(new SerializabilityChecker.Committed("final balances", finalValues, Map.of(), end, end + 1));
        found.addAll(SerializabilityChecker.check(all, initial));
        return new Verdict(found.isEmpty(), sum, all.size(), resolved, found);
    }

    static int balance(String value) {
        if (value == null) {
            throw new IllegalStateException("an account has no balance");
        }
        return Integer.parseInt(value.substring(0, value.indexOf(':')));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String string(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }
}
