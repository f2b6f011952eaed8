package io.bulwark.bench.txn;

import java.util.List;
import java.util.SplittableRandom;

/**
 * One system under the transaction bench: a single put, a blind multi-key transactional write, and one attempt
 * at a transfer (read two accounts, write both if neither changed). Thread-safe: the bench's client threads
 * share one engine, as an application shares one client.
 */
interface TxnEngine extends AutoCloseable {

    String name();

    /** Puts one value (no transaction). */
    void put(byte[] key, byte[] value);

    /**
     * {@code n} keys for one blind transactional write: for a sharded system, each on a different partition so the
     * commit spans {@code n} partitions; for a single-group system, any {@code n} keys.
     */
    List<byte[]> keysForCommit(int n, SplittableRandom random);

    /**
     * Puts {@code value} to every key, each as its own operation (no transaction), all sent at once; returns when
     * every one is acknowledged. For keys of different partitions this is what writing them costs without a
     * commit protocol: the floor of any transaction that must make a write durable in each of those groups.
     */
    void putAllAtOnce(List<byte[]> keys, byte[] value);

    /** Writes {@code value} to every key in one transaction. */
    void commitBlind(List<byte[]> keys, byte[] value);

    /** Sets every account to {@code balance}. */
    void open(List<byte[]> accounts, long balance);

    /**
     * One attempt at moving up to {@code max} from {@code from} to {@code to}: reads both, writes both only if
     * neither changed meanwhile. True if committed, false if it lost a conflict (nothing written).
     */
    boolean transfer(byte[] from, byte[] to, long max, SplittableRandom random);

    @Override
    void close();
}
