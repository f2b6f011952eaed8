package io.bulwark.sim.check;

/**
 * The search configurations proven to lead nowhere, with the one query {@link KeySearch} needs: is a new
 * configuration covered by a failed one?
 *
 * <p>A configuration is a key (the known-result calls linearized so far and the register's value, encoded
 * by the search as a short {@code long[]}) and a set of unknown-result calls already used up (applied or
 * skipped), as a bitset of {@code unknownWords} words. A failed configuration covers a new one with the same
 * key whose used-up set is a superset: having fewer unknown-result calls used up only adds options, so if
 * the failed one could not be completed, neither can the new one. With no unknown-result calls this is plain
 * set membership. Keys are compared word for word, so a hash collision costs a comparison, never a verdict.
 *
 * <p>Why not a {@code HashMap}: the budget allows millions of entries per key, and an object per entry
 * (node, wrapper, array header) triples the memory and the garbage collector's work. Keys live back to back
 * in one growing {@code long[]} arena indexed by an open-addressing table; each key's used-up sets form a
 * linked list in a second arena. About {@code 8 * (key length + unknownWords + 2) + 12} bytes per entry.
 *
 * <p>Not thread-safe; one per search.
 */
final class FailedConfigurations {

    /** Java arrays cannot be quite {@code Integer.MAX_VALUE} long on every VM. */
    private static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;
    /**
     * How many used-up sets {@link #covers} and {@link #add} compare per key, newest first. A bound keeps
     * every step of the search cheap when one key collects thousands of incomparable sets; missing an older
     * covering set only costs states, which the budget counts, never a wrong verdict.
     */
    static final int MAX_SETS_COMPARED = 48;

    private final int unknownWords;
    private long[] keys = new long[1 << 12];
    private int keysUsed;
    /** Per list node: offset + 1 of the next node (0 ends the list), then {@code unknownWords} words. */
    private long[] sets = new long[1 << 12];
    private int setsUsed;
    /** Key arena offset + 1 of each stored key; 0 marks an empty slot. */
    private int[] slots = new int[1 << 10];
    private int[] slotHashes = new int[1 << 10];
    /** Offset + 1 of the first used-up set stored under each slot's key. */
    private int[] slotLists = new int[1 << 10];
    private int keyCount;
    private long size;

    FailedConfigurations(int unknownWords) {
        this.unknownWords = unknownWords;
    }

    /** How many failed configurations are stored: those added, less those a later one made redundant. */
    long size() {
        return size;
    }

    /**
     * Whether a failed configuration with key {@code key[0..keyLength)} and a used-up set contained in
     * {@code unknown} has been added.
     */
    boolean covers(long[] key, int keyLength, long[] unknown) {
        int slot = find(key, keyLength, hash(key, keyLength));
        if (slots[slot] == 0) {
            return false;
        }
        int compared = 0;
        for (int node = slotLists[slot]; node != 0 && compared < MAX_SETS_COMPARED; node = (int) sets[node - 1]) {
            if (isSubset(node, unknown)) {
                return true;
            }
            compared++;
        }
        return false;
    }

    /**
     * Records that the configuration with key {@code key[0..keyLength)} and used-up set {@code unknown}
     * failed. The newest stored sets of the same key that contain {@code unknown} are unlinked, since it
     * covers all they cover; their words stay in the arena, which is freed with the search.
     *
     * @throws IllegalStateException if the entries no longer fit in one Java array (billions of words), which
     *                               only a budget far above the default can reach
     */
    void add(long[] key, int keyLength, long[] unknown) {
        int hash = hash(key, keyLength);
        int slot = find(key, keyLength, hash);
        if (slots[slot] == 0) {
            int offset = reserveKey(keyLength + 1);
            keys[offset] = keyLength;
            System.arraycopy(key, 0, keys, offset + 1, keyLength);
            slots[slot] = offset + 1;
            slotHashes[slot] = hash;
            keyCount++;
        }
        unlinkSupersets(slot, unknown);
        int node = reserveSet();
        sets[node] = slotLists[slot];
        System.arraycopy(unknown, 0, sets, node + 1, unknownWords);
        slotLists[slot] = node + 1;
        size++;
        // Linear probing stays short below two-thirds full.
        if (keyCount * 3L > slots.length * 2L) {
            grow();
        }
    }

    /** The slot holding {@code key}, or the empty slot where it would go. */
    private int find(long[] key, int keyLength, int hash) {
        int mask = slots.length - 1;
        int i = hash & mask;
        for (int slot = slots[i]; slot != 0; slot = slots[i]) {
            if (slotHashes[i] == hash && sameKeyAt(slot - 1, key, keyLength)) {
                return i;
            }
            i = (i + 1) & mask;
        }
        return i;
    }

    private boolean sameKeyAt(int offset, long[] key, int keyLength) {
        if (keys[offset] != keyLength) {
            return false;
        }
        for (int j = 0; j < keyLength; j++) {
            if (keys[offset + 1 + j] != key[j]) {
                return false;
            }
        }
        return true;
    }

    private void unlinkSupersets(int slot, long[] unknown) {
        int previous = 0;
        int compared = 0;
        for (int node = slotLists[slot]; node != 0 && compared++ < MAX_SETS_COMPARED; node = (int) sets[node - 1]) {
            if (isSuperset(node, unknown)) {
                if (previous == 0) {
                    slotLists[slot] = (int) sets[node - 1];
                } else {
                    sets[previous - 1] = sets[node - 1];
                }
                size--;
            } else {
                previous = node;
            }
        }
    }

    private boolean isSuperset(int node, long[] unknown) {
        for (int w = 0; w < unknownWords; w++) {
            if ((unknown[w] & ~sets[node + w]) != 0) {
                return false;
            }
        }
        return true;
    }

    private boolean isSubset(int node, long[] unknown) {
        for (int w = 0; w < unknownWords; w++) {
            if ((sets[node + w] & ~unknown[w]) != 0) {
                return false;
            }
        }
        return true;
    }

    private int reserveKey(int words) {
        keys = ensure(keys, keysUsed, words);
        int offset = keysUsed;
        keysUsed += words;
        return offset;
    }

    private int reserveSet() {
        sets = ensure(sets, setsUsed, unknownWords + 1);
        int offset = setsUsed;
        setsUsed += unknownWords + 1;
        return offset;
    }

    private static long[] ensure(long[] arena, int used, int words) {
        long needed = (long) used + words;
        if (needed > MAX_ARRAY_LENGTH) {
            throw new IllegalStateException("failed configurations need more than " + MAX_ARRAY_LENGTH
                    + " words of memory; lower LinearizabilityChecker's maxStatesPerKey");
        }
        if (needed <= arena.length) {
            return arena;
        }
        long doubled = Math.max(needed, (long) arena.length * 2);
        long[] larger = new long[(int) Math.min(doubled, MAX_ARRAY_LENGTH)];
        System.arraycopy(arena, 0, larger, 0, used);
        return larger;
    }

    private void grow() {
        int[] oldSlots = slots;
        int[] oldHashes = slotHashes;
        int[] oldLists = slotLists;
        slots = new int[oldSlots.length * 2];
        slotHashes = new int[oldSlots.length * 2];
        slotLists = new int[oldSlots.length * 2];
        int mask = slots.length - 1;
        for (int j = 0; j < oldSlots.length; j++) {
            if (oldSlots[j] != 0) {
                int i = oldHashes[j] & mask;
                while (slots[i] != 0) {
                    i = (i + 1) & mask;
                }
                slots[i] = oldSlots[j];
                slotHashes[i] = oldHashes[j];
                slotLists[i] = oldLists[j];
            }
        }
    }

    /** Mixes every word so that keys differing in one bit land in unrelated slots. */
    private static int hash(long[] key, int keyLength) {
        long h = keyLength * 0x9E3779B97F4A7C15L;
        for (int j = 0; j < keyLength; j++) {
            h = Long.rotateLeft(h ^ key[j], 31) * 0xBF58476D1CE4E5B9L;
        }
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        return (int) h;
    }
}
