package io.bulwark.lock;

/**
 * A validated lock name: 1 to {@value #MAX_UTF8_BYTES} bytes of UTF-8, not blank, without control
 * characters or unpaired surrogates.
 *
 * <p>The byte limit keeps names cheap as Redis keys and log fields, and makes the limit the same
 * for every backend whatever its encoding; control characters are refused because names end up in
 * logs and metrics where they would forge or break lines. Names are compared exactly (no
 * normalisation, case-sensitive). Immutable and thread-safe.
 *
 * @param value the name as given
 */
public record LockName(String value) implements Comparable<LockName> {

    /** The largest name, in UTF-8 bytes. */
    public static final int MAX_UTF8_BYTES = 512;

    private static final String ALLOWED = "a lock name is 1 to " + MAX_UTF8_BYTES
            + " UTF-8 bytes of text that is not blank and has no control characters";

    /**
     * @throws InvalidLockRequestException if {@code value} is null, blank, longer than
     *                                     {@value #MAX_UTF8_BYTES} UTF-8 bytes, or contains a control
     *                                     character or an unpaired surrogate
     */
    public LockName {
        if (value == null) {
            throw new InvalidLockRequestException("lock name is null; " + ALLOWED);
        }
        if (value.isBlank()) {
            throw new InvalidLockRequestException("lock name is blank (\"" + value + "\"); " + ALLOWED);
        }
        int bytes = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isISOControl(c)) {
                throw new InvalidLockRequestException(String.format(
                        "lock name contains control character U+%04X at index %d; %s", (int) c, i, ALLOWED));
            }
            if (Character.isHighSurrogate(c) && i + 1 < value.length()
                    && Character.isLowSurrogate(value.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                // An unpaired surrogate has no UTF-8 encoding: two different names would encode to the
                // same replacement bytes on a backend that stores bytes.
                throw new InvalidLockRequestException(
                        "lock name contains an unpaired UTF-16 surrogate at index " + i + "; " + ALLOWED);
            } else {
                bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
            }
        }
        if (bytes > MAX_UTF8_BYTES) {
            throw new InvalidLockRequestException("lock name is " + bytes + " UTF-8 bytes long (starts \""
                    + value.substring(0, Math.min(32, value.length())) + "...\"); " + ALLOWED);
        }
    }

    /** Validates {@code value}; see {@link #LockName(String)}. */
    public static LockName of(String value) {
        return new LockName(value);
    }

    @Override
    public int compareTo(LockName other) {
        return value.compareTo(other.value);
    }

    @Override
    public String toString() {
        return value;
    }
}
