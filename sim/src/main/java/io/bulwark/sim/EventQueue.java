package io.bulwark.sim;

import java.util.PriorityQueue;

/**
 * Virtual time for a simulation: actions scheduled at a time run in time order, and actions scheduled for the
 * same time run in the order they were scheduled, so a run is a function of its seed alone. Not thread-safe.
 */
public final class EventQueue {

    private record Event(long timeUs, long seq, Runnable action) implements Comparable<Event> {
        @Override
        public int compareTo(Event o) {
            int byTime = Long.compare(timeUs, o.timeUs);
            return byTime != 0 ? byTime : Long.compare(seq, o.seq);
        }
    }

    private final PriorityQueue<Event> queue = new PriorityQueue<>();
    private long nowUs;
    private long seq;
    private long executed;

    /** The current virtual time, in microseconds. */
    public long now() {
        return nowUs;
    }

    /** Schedules {@code action} {@code delayUs} from now (a negative delay means now). */
    public void after(long delayUs, Runnable action) {
        queue.add(new Event(nowUs + Math.max(0, delayUs), seq++, action));
    }

    public boolean isEmpty() {
        return queue.isEmpty();
    }

    /** The time of the next action; only valid when not {@link #isEmpty()}. */
    public long nextTime() {
        return queue.peek().timeUs;
    }

    /** Advances the clock to the next action and runs it. */
    public void runNext() {
        Event e = queue.poll();
        nowUs = e.timeUs;
        executed++;
        e.action.run();
    }

    /** Actions run so far. */
    public long executed() {
        return executed;
    }
}
