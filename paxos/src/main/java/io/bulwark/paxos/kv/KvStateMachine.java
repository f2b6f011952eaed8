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

    private record Stored(byte[] value, int crc32c) {
    }

    private final TreeMap<byte[], Stored> map = new TreeMap<>(Arrays::compareUnsigned);

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
            map.put(p.key(), new Stored(p.value(), p.crc32c()));
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
                map.put(c.key(), new Stored(c.value(), c.crc32c()));
            }
            return new KvResult.CasOutcome(matches);
        }
        return read(command.key());
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
        int size = 4;
        for (Map.Entry<byte[], Stored> e : map.entrySet()) {
            size += 4 + e.getKey().length + 4 + e.getValue().value().length + 4;
        }
        ByteBuffer buf = ByteBuffer.allocate(size);
        buf.putInt(map.size());
        for (Map.Entry<byte[], Stored> e : map.entrySet()) {
            buf.putInt(e.getKey().length).put(e.getKey());
            buf.putInt(e.getValue().value().length).put(e.getValue().value());
            buf.putInt(e.getValue().crc32c());
        }
        return buf.array();
    }

    @Override
    public void restore(byte[] snapshot) {
        ByteBuffer buf = ByteBuffer.wrap(snapshot);
        TreeMap<byte[], Stored> restored = new TreeMap<>(Arrays::compareUnsigned);
        int n = buf.getInt();
        for (int i = 0; i < n; i++) {
            byte[] key = new byte[buf.getInt()];
            buf.get(key);
            byte[] value = new byte[buf.getInt()];
            buf.get(value);
            int crc = buf.getInt();
            if (Checksums.crc32c(value) != crc) {
                throw new IllegalStateException("snapshot value for a key of " + key.length
                        + " bytes failed its checksum; refusing to restore damaged state");
            }
            restored.put(key, new Stored(value, crc));
        }
        map.clear();
        map.putAll(restored);
    }
}
