package io.bulwark.paxos.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class KvStateMachineTest {

    private final KvStateMachine kv = new KvStateMachine();

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private KvResult run(KvCommand c) {
        return KvResult.decode(kv.apply(1, c.encode()));
    }

    private static List<String> keys(KvResult r) {
        return ((KvResult.Entries) r).entries().stream().map(e -> new String(e.key(), StandardCharsets.UTF_8)).toList();
    }

    @Test
    void putGetCasDeleteRoundTripThroughTheirEncodings() {
        assertThat(run(KvCommand.put(b("a"), b("1")))).isInstanceOf(KvResult.Ok.class);
        assertThat(((KvResult.Found) run(KvCommand.get(b("a")))).value()).isEqualTo(b("1"));
        assertThat(run(KvCommand.compareAndSet(b("a"), b("2"), b("3")))).isEqualTo(new KvResult.CasOutcome(false));
        assertThat(run(KvCommand.compareAndSet(b("a"), b("1"), b("3")))).isEqualTo(new KvResult.CasOutcome(true));
        assertThat(run(KvCommand.compareAndSet(b("new"), null, b("x")))).isEqualTo(new KvResult.CasOutcome(true));
        run(KvCommand.delete(b("a")));
        assertThat(((KvResult.Found) run(KvCommand.get(b("a")))).value()).isNull();
    }

    @Test
    void aValueDamagedOnTheWayIsRefusedNotStored() {
        KvCommand.Put damaged = new KvCommand.Put(b("k"), b("value"), 12345);
        assertThat(run(damaged)).isInstanceOf(KvResult.Corrupt.class);
        assertThat(kv.size()).isZero();
    }

    @Test
    void scanReturnsTheHalfOpenRangeInUnsignedOrderWithAResumeKeyAtTheLimit() {
        for (String k : List.of("b", "a", "d", "c", "e")) {
            run(KvCommand.put(b(k), b(k.toUpperCase())));
        }
        KvResult all = KvResult.decode(kv.query(KvCommand.scan(new byte[0], null, 100).encode()));
        assertThat(keys(all)).containsExactly("a", "b", "c", "d", "e");
        assertThat(((KvResult.Entries) all).resumeKey()).isNull();

        KvResult range = KvResult.decode(kv.query(KvCommand.scan(b("b"), b("d"), 100).encode()));
        assertThat(keys(range)).containsExactly("b", "c");

        KvResult limited = KvResult.decode(kv.query(KvCommand.scan(b("a"), null, 2).encode()));
        assertThat(keys(limited)).containsExactly("a", "b");
        assertThat(((KvResult.Entries) limited).resumeKey()).isEqualTo(b("c"));
        assertThat(((KvResult.Entries) limited).entries().get(1).value()).isEqualTo(b("B"));

        KvResult empty = KvResult.decode(kv.query(KvCommand.scan(b("d"), b("b"), 10).encode()));
        assertThat(keys(empty)).isEmpty();
    }

    @Test
    void scanBoundsAreValidated() {
        assertThatThrownBy(() -> KvCommand.scan(b("a"), null, 0)).hasMessageContaining("limit");
        assertThatThrownBy(() -> KvCommand.scan(b("a"), null, KvCommand.MAX_SCAN_LIMIT + 1)).hasMessageContaining("limit");
        assertThatThrownBy(() -> KvCommand.scan(null, null, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void snapshotsRestoreTheSameScan() {
        run(KvCommand.put(b("x"), b("1")));
        run(KvCommand.put(b("y"), b("2")));
        KvStateMachine copy = new KvStateMachine();
        copy.restore(kv.snapshot());
        assertThat(copy.query(KvCommand.scan(new byte[0], null, 10).encode()))
                .isEqualTo(kv.query(KvCommand.scan(new byte[0], null, 10).encode()));
    }
}
