package io.bulwark.paxos.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.core.storage.LocalFileStore;
import io.bulwark.paxos.Ballot;
import io.bulwark.paxos.Command;
import io.bulwark.paxos.Entry;
import io.bulwark.paxos.Ready;
import io.bulwark.paxos.Recovered;
import io.bulwark.paxos.Value;
import io.bulwark.paxos.log.LogOptions;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SharedLogTest {

    @TempDir
    Path dir;

    private static Ready ready(long id, Ballot promise, List<Entry> entries, long chosen) {
        return new Ready(id, promise, entries, chosen, true, List.of(), List.of(), List.of(), List.of(), List.of(),
                List.of(), null);
    }

    private static Entry entry(long slot, Ballot b, String payload) {
        return new Entry(slot, b, new Value.Batch(List.of(new Command(7, slot, payload.getBytes()))), false);
    }

    private SharedLog open() throws Exception {
        return SharedLog.open(LocalFileStore.open(dir), LogOptions.defaults());
    }

    @Test
    void groupsInterleavedInOneLogRecoverSeparately() throws Exception {
        Ballot b1 = new Ballot(3, 1);
        Ballot b2 = new Ballot(5, 2);
        try (SharedLog log = open()) {
            SharedLog.Group a = log.group(0, 0);
            SharedLog.Group b = log.group(9, 4);
            a.write(ready(1, b1, List.of(entry(1, b1, "a1")), 0));
            b.write(ready(1, b2, List.of(entry(1, b2, "b1"), entry(2, b2, "b2")), 1));
            a.write(ready(2, null, List.of(entry(2, b1, "a2")), 2));
            log.sync();
        }
        try (SharedLog log = open()) {
            assertThat(log.recoveredGroups()).containsExactly(0, 9);
            Recovered a = log.group(0, 0).recovered();
            Recovered b = log.group(9, 0).recovered();
            assertThat(a.promised()).isEqualTo(b1);
            assertThat(a.entries()).extracting(Entry::slot).containsExactly(1L, 2L);
            assertThat(a.chosenIndex()).isEqualTo(2);
            assertThat(b.incarnation()).isEqualTo(4);
            assertThat(b.promised()).isEqualTo(b2);
            assertThat(b.entries()).extracting(Entry::slot).containsExactly(1L, 2L);
            assertThat(b.chosenIndex()).isEqualTo(1);
            Recovered fresh = log.group(3, 11).recovered();
            assertThat(fresh.isEmpty()).isTrue();
            assertThat(fresh.incarnation()).isEqualTo(11);
        }
    }

    @Test
    void aRemovedGroupIsNotRecoveredAndARecreatedOneStartsAfresh() throws Exception {
        io.bulwark.paxos.Membership m = io.bulwark.paxos.Membership.ofVoters(1, 2, 3).withLearner(4, 77);
        Ballot b = new Ballot(2, 1);
        try (SharedLog log = open()) {
            SharedLog.Group g = log.group(5, 77, m);
            g.write(ready(1, b, List.of(entry(1, b, "x")), 1));
            log.group(6, 0).write(ready(1, b, List.of(entry(1, b, "y")), 0));
            log.sync();
        }
        try (SharedLog log = open()) {
            assertThat(log.recordedMembership(5)).isEqualTo(m);
            SharedLog.Group g = log.group(5, 0);
            assertThat(g.initialMembership()).isEqualTo(m);
            assertThat(g.recovered().incarnation()).isEqualTo(77);
            log.removeGroup(5);
            g.write(ready(2, b, List.of(entry(2, b, "ignored")), 2)); // a Ready staged before the removal
            log.sync();
        }
        try (SharedLog log = open()) {
            assertThat(log.recoveredGroups()).containsExactly(6);
            SharedLog.Group again = log.group(5, 90, null);
            assertThat(again.recovered().isEmpty()).isTrue();
            assertThat(again.recovered().incarnation()).isEqualTo(90);
            again.write(ready(1, b, List.of(entry(1, b, "z")), 0));
            log.sync();
        }
        try (SharedLog log = open()) {
            Recovered r = log.group(5, 0).recovered();
            assertThat(r.incarnation()).isEqualTo(90);
            assertThat(r.entries()).hasSize(1);
        }
    }

    @Test
    void aViewIsHandedOutOnce() throws Exception {
        try (SharedLog log = open()) {
            log.group(1, 0);
            assertThatThrownBy(() -> log.group(1, 0)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void aLaterLowerPromiseDoesNotLowerTheRecoveredOne() throws Exception {
        try (SharedLog log = open()) {
            SharedLog.Group g = log.group(2, 0);
            g.write(ready(1, new Ballot(9, 1), List.of(), 0));
            g.write(ready(2, new Ballot(4, 3), List.of(), 0));
            log.sync();
        }
        try (SharedLog log = open()) {
            assertThat(log.group(2, 0).recovered().promised()).isEqualTo(new Ballot(9, 1));
        }
    }
}
