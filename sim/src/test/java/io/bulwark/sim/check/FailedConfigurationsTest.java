package io.bulwark.sim.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The failure memo must never claim a configuration is covered when no stored failure justifies it: that
 * would prune a configuration that could have succeeded and report a violation that is not one.
 */
class FailedConfigurationsTest {

    @Test
    void withoutUnknownCallsItIsSetMembership() {
        FailedConfigurations failed = new FailedConfigurations(0);
        long[] none = new long[0];

        failed.add(new long[] {1, 2, 3}, 3, none);

        assertThat(failed.covers(new long[] {1, 2, 3}, 3, none)).isTrue();
        assertThat(failed.covers(new long[] {1, 2, 3, 99}, 3, none)).isTrue();
        assertThat(failed.covers(new long[] {1, 2}, 2, none)).isFalse();
        assertThat(failed.covers(new long[] {1, 2, 0}, 3, none)).isFalse();
        assertThat(failed.size()).isEqualTo(1);
    }

    @Test
    void aFailureCoversTheSameKeyWithMoreUnknownCallsUsedUp() {
        FailedConfigurations failed = new FailedConfigurations(2);
        long[] key = {42};

        failed.add(key, 1, new long[] {0b0101, 1L << 63});

        assertThat(failed.covers(key, 1, new long[] {0b0101, 1L << 63})).as("same set").isTrue();
        assertThat(failed.covers(key, 1, new long[] {0b1101, -1L})).as("superset").isTrue();
        assertThat(failed.covers(key, 1, new long[] {0b0100, 1L << 63})).as("subset").isFalse();
        assertThat(failed.covers(key, 1, new long[] {0b0101, 0})).as("second word missing").isFalse();
        assertThat(failed.covers(new long[] {43}, 1, new long[] {-1L, -1L})).as("other key").isFalse();
    }

    @Test
    void aSmallerFailedSetReplacesTheSetsItCovers() {
        FailedConfigurations failed = new FailedConfigurations(1);
        long[] key = {7};
        failed.add(key, 1, new long[] {0b111});
        failed.add(key, 1, new long[] {0b011});
        failed.add(key, 1, new long[] {0b110});

        failed.add(key, 1, new long[] {0b010});

        assertThat(failed.size()).isEqualTo(1);
        assertThat(failed.covers(key, 1, new long[] {0b111})).isTrue();
        assertThat(failed.covers(key, 1, new long[] {0b010})).isTrue();
        assertThat(failed.covers(key, 1, new long[] {0b101})).isFalse();
    }

    /** Checked against a list model across table and arena growth, with lists short enough to scan whole. */
    @Test
    void agreesWithAModelAcrossGrowth() {
        FailedConfigurations failed = new FailedConfigurations(1);
        List<long[]> keys = new ArrayList<>();
        List<Long> sets = new ArrayList<>();
        Random random = new Random(7);
        int covered = 0;
        for (int i = 0; i < 30_000; i++) {
            // Thousands of distinct keys grow the table several times; repeats are still common.
            int length = 2 + random.nextInt(2);
            long[] key = new long[length];
            for (int j = 0; j < length; j++) {
                key[j] = random.nextInt(length == 2 ? 20 : 4);
            }
            long set = random.nextInt(256) & random.nextInt(256);
            boolean expected = modelCovers(keys, sets, key, set);
            assertThat(failed.covers(key, length, new long[] {set})).isEqualTo(expected);
            covered += expected ? 1 : 0;
            if (random.nextInt(8) == 0) {
                failed.add(key, length, new long[] {set});
                keys.add(key);
                sets.add(set);
            }
        }
        assertThat(covered).as("the model must exercise both answers").isBetween(1_000, 29_000);
    }

    /** Past the comparison bound it may miss a cover (costing states), but never invents one. */
    @Test
    void aKeyWithManyIncomparableSetsNeverClaimsAnUnjustifiedCover() {
        FailedConfigurations failed = new FailedConfigurations(1);
        List<long[]> keys = new ArrayList<>();
        List<Long> sets = new ArrayList<>();
        long[] key = {1};
        Random random = new Random(11);
        for (int i = 0; i < 2_000; i++) {
            // Exactly 8 of 16 bits: no such set contains another, so every one stays stored.
            long set = randomSubsetOfSize(random, 16, 8);
            failed.add(key, 1, new long[] {set});
            keys.add(key);
            sets.add(set);
        }
        for (int i = 0; i < 20_000; i++) {
            long query = random.nextInt(1 << 16);
            if (failed.covers(key, 1, new long[] {query})) {
                assertThat(modelCovers(keys, sets, key, query)).isTrue();
            }
        }
        assertThat(failed.covers(key, 1, new long[] {sets.get(sets.size() - 1)})).as("newest first").isTrue();
    }

    private static boolean modelCovers(List<long[]> keys, List<Long> sets, long[] key, long set) {
        for (int e = 0; e < keys.size(); e++) {
            if (Arrays.equals(keys.get(e), key) && (sets.get(e) & ~set) == 0) {
                return true;
            }
        }
        return false;
    }

    private static long randomSubsetOfSize(Random random, int universe, int size) {
        long set = 0;
        while (Long.bitCount(set) < size) {
            set |= 1L << random.nextInt(universe);
        }
        return set;
    }
}
