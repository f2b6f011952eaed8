package io.bulwark.bench.txn;

import io.bulwark.bench.kv.EtcdCluster;
import io.bulwark.bench.kv.EtcdEngine;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/**
 * etcd under the transaction bench: a 3-member cluster (fsync on, as shipped) through jetcd. etcd's
 * transactions are its mini-transactions on its single Raft group: a blind write of several keys is one
 * {@code Txn} of puts; a transfer reads both accounts (linearizable gets) and writes both in a {@code Txn}
 * guarded by both keys' mod revisions — etcd's optimistic read-modify-write, what its STM does.
 */
final class EtcdTxnEngine implements TxnEngine {

    private final EtcdEngine engine;
    private final KV kv;

    private EtcdTxnEngine(EtcdEngine engine) {
        this.engine = engine;
        this.kv = engine.kvClient();
    }

    /** Starts a cluster and connects to it the way the KV bench does (see {@link EtcdEngine#start}). */
    static EtcdTxnEngine start(EtcdCluster.Options options) throws IOException, TimeoutException, InterruptedException {
        return new EtcdTxnEngine(EtcdEngine.start(options));
    }

    @Override
    public String name() {
        return "etcd " + engine.cluster().version() + " (3 members, one Raft group)";
    }

    private static ByteSequence bytes(byte[] b) {
        return ByteSequence.from(b);
    }

    @Override
    public void put(byte[] key, byte[] value) {
        kv.put(bytes(key), bytes(value)).join();
    }

    @Override
    public List<byte[]> keysForCommit(int n, SplittableRandom random) {
        List<byte[]> keys = new ArrayList<>();
        int base = random.nextInt(1_000_000);
        for (int i = 0; i < n; i++) {
            keys.add(("bench/txn/" + (base + i)).getBytes(StandardCharsets.UTF_8));
        }
        return keys;
    }

    @Override
    public void putAllAtOnce(List<byte[]> keys, byte[] value) {
        java.util.concurrent.CompletableFuture<?>[] puts = new java.util.concurrent.CompletableFuture<?>[keys.size()];
        for (int i = 0; i < puts.length; i++) {
            puts[i] = kv.put(bytes(keys.get(i)), bytes(value));
        }
        java.util.concurrent.CompletableFuture.allOf(puts).join();
    }

    @Override
    public void commitBlind(List<byte[]> keys, byte[] value) {
        Op[] puts = new Op[keys.size()];
        for (int i = 0; i < puts.length; i++) {
            puts[i] = Op.put(bytes(keys.get(i)), bytes(value), PutOption.DEFAULT);
        }
        kv.txn().Then(puts).commit().join();
    }

    @Override
    public void open(List<byte[]> accounts, long balance) {
        for (byte[] a : accounts) {
            put(a, Long.toString(balance).getBytes(StandardCharsets.UTF_8));
        }
    }

    @Override
    public boolean transfer(byte[] from, byte[] to, long max, SplittableRandom random) {
        CompletableFuture<KeyValue> fa = kv.get(bytes(from), GetOption.DEFAULT).thenApply(r -> r.getKvs().get(0));
        CompletableFuture<KeyValue> fb = kv.get(bytes(to), GetOption.DEFAULT).thenApply(r -> r.getKvs().get(0));
        KeyValue a = fa.join();
        KeyValue b = fb.join();
        long va = Long.parseLong(a.getValue().toString(StandardCharsets.UTF_8));
        long vb = Long.parseLong(b.getValue().toString(StandardCharsets.UTF_8));
        long amount = Math.min(va, 1 + random.nextLong(max));
        TxnResponse r = kv.txn()
                .If(new Cmp(bytes(from), Cmp.Op.EQUAL, CmpTarget.modRevision(a.getModRevision())),
                        new Cmp(bytes(to), Cmp.Op.EQUAL, CmpTarget.modRevision(b.getModRevision())))
                .Then(Op.put(bytes(from), bytes(Long.toString(va - amount).getBytes(StandardCharsets.UTF_8)), PutOption.DEFAULT),
                        Op.put(bytes(to), bytes(Long.toString(vb + amount).getBytes(StandardCharsets.UTF_8)), PutOption.DEFAULT))
                .commit().join();
        return r.isSucceeded();
    }

    @Override
    public void close() {
        engine.close();
    }
}
