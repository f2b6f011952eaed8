package io.bulwark.lock;

/**
 * What a single request asks for: the {@link LockKind} of the name plus, where the kind needs it,
 * read or write access or a number of semaphore permits.
 *
 * <p>Immutable values; thread-safe. Java 17 has no pattern matching for {@code switch}, so code that
 * dispatches on a mode switches on {@link #kind()} (exhaustively) and reads the record it knows is there.
 */
public sealed interface LockMode
        permits LockMode.Exclusive, LockMode.Fair, LockMode.Read, LockMode.Write, LockMode.Semaphore {

    /** The kind of lock this mode belongs to. */
    LockKind kind();

    /** Permits this request takes from the lock: always 1 except for {@link Semaphore}. */
    default int permits() {
        return 1;
    }

    /** Exclusive access; waiter order unspecified. */
    static LockMode exclusive() {
        return Exclusive.INSTANCE;
    }

    /** Exclusive access; waiters served first-in first-out. */
    static LockMode fair() {
        return Fair.INSTANCE;
    }

    /** Shared access to a read-write lock. */
    static LockMode read() {
        return Read.INSTANCE;
    }

    /** Exclusive access to a read-write lock. */
    static LockMode write() {
        return Write.INSTANCE;
    }

    /**
     * {@code permits} permits out of a semaphore of {@code capacity} permits.
     *
     * @throws InvalidLockRequestException unless {@code 1 <= permits <= capacity <= Semaphore.MAX_CAPACITY}
     */
    static LockMode semaphore(int permits, int capacity) {
        return new Semaphore(permits, capacity);
    }

    /** See {@link LockKind#EXCLUSIVE}. */
    record Exclusive() implements LockMode {
        static final Exclusive INSTANCE = new Exclusive();

        @Override
        public LockKind kind() {
            return LockKind.EXCLUSIVE;
        }
    }

    /** See {@link LockKind#FAIR}. */
    record Fair() implements LockMode {
        static final Fair INSTANCE = new Fair();

        @Override
        public LockKind kind() {
            return LockKind.FAIR;
        }
    }

    /** Shared (reader) access to a {@link LockKind#READ_WRITE} lock. */
    record Read() implements LockMode {
        static final Read INSTANCE = new Read();

        @Override
        public LockKind kind() {
            return LockKind.READ_WRITE;
        }
    }

    /** Exclusive (writer) access to a {@link LockKind#READ_WRITE} lock. */
    record Write() implements LockMode {
        static final Write INSTANCE = new Write();

        @Override
        public LockKind kind() {
            return LockKind.READ_WRITE;
        }
    }

    /**
     * {@code permits} permits of a {@link LockKind#SEMAPHORE} whose size is {@code capacity}.
     *
     * <p>Every request for the same name must declare the same capacity while the name is in use;
     * the backend has no other way to learn the size and two callers disagreeing about it is a bug
     * worth failing on ({@link LockModeConflictException}).
     *
     * @param permits  permits taken by this request, {@code 1..capacity}
     * @param capacity total permits of the semaphore, {@code 1..MAX_CAPACITY}
     */
    record Semaphore(int permits, int capacity) implements LockMode {
        /** The largest capacity a semaphore may declare; it bounds the backend's per-lock holder table. */
        public static final int MAX_CAPACITY = 65_536;

        /**
         * @throws InvalidLockRequestException unless {@code 1 <= permits <= capacity <= MAX_CAPACITY}
         */
        public Semaphore {
            if (capacity < 1 || capacity > MAX_CAPACITY) {
                throw new InvalidLockRequestException("semaphore capacity must be between 1 and "
                        + MAX_CAPACITY + ", was " + capacity);
            }
            if (permits < 1 || permits > capacity) {
                throw new InvalidLockRequestException("semaphore permits must be between 1 and the capacity "
                        + capacity + ", was " + permits);
            }
        }

        @Override
        public LockKind kind() {
            return LockKind.SEMAPHORE;
        }
    }
}
