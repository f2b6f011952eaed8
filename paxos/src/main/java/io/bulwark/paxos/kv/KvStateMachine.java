package io.bulwark.paxos.kv;

import io.bulwark.core.Checksums;
import io.bulwark.paxos.StateMachine;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * The replicated key-value map: get, put, delete, compare-and-set, with every value stored beside its
 * CRC32C and checked on every read and on snapshot restore. A value whose checksum fails is never
 * returned as data: the answer is {@link KvResult.Corrupt}. Keys are ordered bytewise (unsigned), which is
 * also the snapshot order, so snapshots of equal states are byte-identical.
 *
 * <p>Not thread-safe: driven by one replica's apply loop.
 */
public final class KvStateMachine implements StateMachine {

    /** A value, its checksum, and its version: unique per write, so a reader can tell any later write apart. */
    private record Stored(byte[] value, int crc32c, long version) {
    }

    private final TreeMap<byte[], Stored> map = new TreeMap<>(Arrays::compareUnsigned);
    /** Version of the latest write; every write takes the next one. Part of the state and of snapshots. */
    private long lastVersion;

    @Override
    public byte[] apply(long slot, byte[] command) {
        KvCommand decoded;
        try {
            decoded = KvCommand.decode(command);
        } catch (IllegalArgumentException e) {
            // Deterministic on every replica: one malformed request fails alone, it never stops the group.
            return new KvResult.Corrupt("malformed command: " + e.getMessage()).encode();
        }
        return execute(decoded).encode();
    }

    @Override
    public byte[] query(byte[] request) {
        KvCommand command = KvCommand.decode(request);
        if (command instanceof KvCommand.Scan scan) {
            return scan(scan).encode();
        }
        if (!(command instanceof KvCommand.Get)) {
            throw new IllegalArgumentException("only gets and scans can be served as queries, got "
                    + command.getClass().getSimpleName());
        }
        return execute(command).encode();
    }

    /** Executes a decoded command. */
    public KvResult execute(KvCommand command) {
        if (command instanceof KvCommand.Scan scan) {
            return scan(scan);
        }
        if (command instanceof KvCommand.Put p) {
            if (Checksums.crc32c(p.value()) != p.crc32c()) {
                return new KvResult.Corrupt("value for put arrived damaged (checksum mismatch)");
            }
            store(p.key(), p.value(), p.crc32c());
            return new KvResult.Ok();
        }
        if (command instanceof KvCommand.Delete d) {
            map.remove(d.key());
            return new KvResult.Ok();
        }
        if (command instanceof KvCommand.CompareAndSet c) {
            if (Checksums.crc32c(c.value()) != c.crc32c()) {
                return new KvResult.Corrupt("value for compare-and-set arrived damaged (checksum mismatch)");
            }
            KvResult current = read(c.key());
            if (current instanceof KvResult.Corrupt) {
                return current;
            }
            byte[] now = ((KvResult.Found) current).value();
            boolean matches = c.expected() == null ? now == null : now != null && Arrays.equals(now, c.expected());
            if (matches) {
                store(c.key(), c.value(), c.crc32c());
            }
            return new KvResult.CasOutcome(matches);
        }
        return read(command.key());
    }

    private void store(byte[] key, byte[] value, int crc32c) {
        map.put(key, new Stored(value, crc32c, ++lastVersion));
    }

    /**
     * Writes (or, with a null value, deletes) a key whose value was checked by whoever decided the write — a
     * committed transaction's intent. A value that fails {@code crc32c} is refused with an exception: the
     * deciding command checked it when it was accepted, so a mismatch here is a bug, never data.
     */
    public void writeChecked(byte[] key, byte[] value, int crc32c) {
        if (value == null) {
            map.remove(key);
            return;
        }
        if (Checksums.crc32c(value) != crc32c) {
            throw new IllegalStateException("a checked write's value failed its checksum");
        }
        store(key, value, crc32c);
    }

    /**
     * The version of a key's value: a number no other write of this map had or will have; 0 for an absent key
     * (every absent key reads the same, which is all that a reader that validates by version needs).
     */
    public long version(byte[] key) {
        Stored s = map.get(key);
        return s == null ? 0 : s.version();
    }

    private KvResult read(byte[] key) {
        Stored s = map.get(key);
        if (s == null) {
            return new KvResult.Found(null);
        }
        if (Checksums.crc32c(s.value()) != s.crc32c()) {
            return new KvResult.Corrupt("stored value failed its checksum");
        }
        return new KvResult.Found(s.value());
    }

    /** Most value bytes one scan answer carries; a longer range is continued from the resume key. */
    static final int MAX_SCAN_BYTES = 1 << 20;

    /** Keys in {@code [start, end)}: every value checked, a damaged one fails the whole scan. */
    public KvResult scan(KvCommand.Scan scan) {
        java.util.SortedMap<byte[], Stored> range = scan.end() == null ? map.tailMap(scan.key(), true)
                : Arrays.compareUnsigned(scan.key(), scan.end()) >= 0 ? java.util.Collections.emptySortedMap()
                : map.subMap(scan.key(), scan.end());
        java.util.List<KvResult.KeyValue> out = new java.util.ArrayList<>();
        long bytes = 0;
        for (Map.Entry<byte[], Stored> e : range.entrySet()) {
            if (out.size() == scan.limit() || (bytes >= MAX_SCAN_BYTES && !out.isEmpty())) {
                return new KvResult.Entries(out, e.getKey());
            }
            Stored s = e.getValue();
            if (Checksums.crc32c(s.value()) != s.crc32c()) {
                return new KvResult.Corrupt("stored value of a key in the scanned range failed its checksum");
            }
            out.add(new KvResult.KeyValue(e.getKey(), s.value()));
            bytes += e.getKey().length + s.value().length;
        }
        return new KvResult.Entries(out, null);
    }

    /** Number of keys. */
    public int size() {
        return map.size();
    }

    @Override
    public byte[] snapshot() {
        int size = 8 + 4;
        for (Map.Entry<byte[], Stored> e : map.entrySet()) {
            size += 4 + e.getKey().length + 4 + e.getValue().value().length + 4 + 8;
        }
        ByteBuffer buf = ByteBuffer.allocate(size);
        buf.putLong(lastVersion);
        buf.putInt(map.size());
        for (Map.Entry<byte[], Stored> e : map.entrySet()) {
            buf.putInt(e.getKey().length).put(e.getKey());
            buf.putInt(e.getValue().value().length).put(e.getValue().value());
            buf.putInt(e.getValue().crc32c());
            buf.putLong(e.getValue().version());
        }
        return buf.array();
    }

    @Override
    public void restore(byte[] snapshot) {
        ByteBuffer buf = ByteBuffer.wrap(snapshot);
        TreeMap<byte[], Stored> restored = new TreeMap<>(Arrays::compareUnsigned);
        long version = buf.getLong();
        int n = buf.getInt();
        for (int i = 0; i < n; i++) {
            byte[] key = new byte[buf.getInt()];
            buf.get(key);
            byte[] value = new byte[buf.getInt()];
            buf.get(value);
            int crc = buf.getInt();
            long valueVersion = buf.getLong();
            if (Checksums.crc32c(value) != crc) {
                throw new IllegalStateException("snapshot value for a key of " + key.length
                        + " bytes failed its checksum; refusing to restore damaged state");
            }
            restored.put(key, new Stored(value, crc, valueVersion));
        }
        map.clear();
        map.putAll(restored);
        lastVersion = version;
    }
}
