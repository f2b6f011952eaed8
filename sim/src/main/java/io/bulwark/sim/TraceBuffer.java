package io.bulwark.sim;

import java.util.ArrayList;
import java.util.List;

/**
 * The last events of a run, kept as objects and formatted only when a failure prints them, so tracing
 * costs almost nothing in the runs that pass. Bounded: older events are overwritten. Not thread-safe.
 */
public final class TraceBuffer {

    private final long[] times;
    private final Object[] events;
    private long count;

    public TraceBuffer(int capacity) {
        times = new long[capacity];
        events = new Object[capacity];
    }

    public void add(long timeUs, Object event) {
        int i = (int) (count % events.length);
        times[i] = timeUs;
        events[i] = event;
        count++;
    }

    /** The kept events, oldest first, one line each. */
    public List<String> lines() {
        List<String> lines = new ArrayList<>();
        long first = Math.max(0, count - events.length);
        if (first > 0) {
            lines.add("... " + first + " earlier events not kept");
        }
        for (long n = first; n < count; n++) {
            int i = (int) (n % events.length);
            lines.add(String.format("%10.3f ms  %s", times[i] / 1000.0, events[i]));
        }
        return lines;
    }
}
