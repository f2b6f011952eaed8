package io.bulwark.bench.txn;

import io.bulwark.client.BulwarkClient;
import io.bulwark.client.Transaction;
import io.bulwark.client.TransactionConflictException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;

/** Bulwark's cluster under the transaction bench: 3 node processes, {@link #PARTITIONS} partitions, fsync on. */
final class BulwarkTxnEngine implements TxnEngine {

    static final int PARTITIONS = 16;

    private final io.bulwark.bench.BenchCluster bench;
    private final BulwarkClient client;
    private final TreeMap<Integer, List<byte[]>> keysByPartition = new TreeMap<>();

    private BulwarkTxnEngine(io.bulwark.bench.BenchCluster bench) {
        this.bench = bench;
        this.client = bench.client();
        for (int i = 0; keysByPartition.size() < PARTITIONS || keysByPartition.values().stream().anyMatch(l -> l.size() < 64); i++) {
            byte[] k = ("bench/txn/" + i).getBytes(StandardCharsets.UTF_8);
            keysByPartition.computeIfAbsent(client.partitionOf(k), p -> new ArrayList<>()).add(k);
        }
    }

    static BulwarkTxnEngine start(Path parent, PrintStream progress) throws IOException {
        return new BulwarkTxnEngine(io.bulwark.bench.BenchCluster.start(parent, "bulwark-bench-txn", PARTITIONS, progress));
    }

    @Override
    public String name() {
        return "Bulwark 3 nodes x " + PARTITIONS + " partitions";
    }

    @Override
    public void put(byte[] key, byte[] value) {
        client.put(key, value);
    }

    @Override
    public List<byte[]> keysForCommit(int n, SplittableRandom random) {
        List<Integer> chosen = new ArrayList<>();
        while (chosen.size() < n) {
            int p = random.nextInt(PARTITIONS);
            if (!chosen.contains(p)) {
                chosen.add(p);
            }
        }
        List<byte[]> keys = new ArrayList<>();
        for (int p : chosen) {
            List<byte[]> pool = keysByPartition.get(p);
            keys.add(pool.get(random.nextInt(pool.size())));
        }
        return keys;
    }

    @Override
    public void putAllAtOnce(List<byte[]> keys, byte[] value) {
        java.util.concurrent.CompletableFuture<?>[] puts = new java.util.concurrent.CompletableFuture<?>[keys.size()];
        for (int i = 0; i < puts.length; i++) {
            puts[i] = client.putAsync(keys.get(i), value);
        }
        java.util.concurrent.CompletableFuture.allOf(puts).join();
    }

    @Override
    public void commitBlind(List<byte[]> keys, byte[] value) {
        Transaction tx = client.begin();
        for (byte[] k : keys) {
            tx.put(k, value);
        }
        tx.commit();
    }

    @Override
    public void open(List<byte[]> accounts, long balance) {
        for (byte[] a : accounts) {
            client.put(a, Long.toString(balance).getBytes(StandardCharsets.UTF_8));
        }
    }

    @Override
    public boolean transfer(byte[] from, byte[] to, long max, SplittableRandom random) {
        try {
            Transaction tx = client.begin();
            List<byte[]> values = tx.getAll(List.of(from, to));
            long a = Long.parseLong(new String(values.get(0), StandardCharsets.UTF_8));
            long b = Long.parseLong(new String(values.get(1), StandardCharsets.UTF_8));
            long amount = Math.min(a, 1 + random.nextLong(max));
            tx.put(from, Long.toString(a - amount).getBytes(StandardCharsets.UTF_8));
            tx.put(to, Long.toString(b + amount).getBytes(StandardCharsets.UTF_8));
            tx.commit();
            return true;
        } catch (TransactionConflictException e) {
            return false;
        }
    }

    @Override
    public void close() {
        bench.close();
    }
}
