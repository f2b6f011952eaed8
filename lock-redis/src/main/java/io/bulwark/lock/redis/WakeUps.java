package io.bulwark.lock.redis;

import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The backend's one pub/sub connection: a channel per lock name that has local waiters (the channel is also
 * specific to this backend instance),
 * subscribed while at least one waits (reference-counted), sharded ({@code SSUBSCRIBE}) on Redis 7+. Messages
 * are grants ({@code owner|token|leaseMicros}); they are handed to {@code onWakeUp}, which ignores owners that
 * are not waiting here. Because a channel carries only this instance's grants, a release wakes only the
 * process whose waiter it granted, and the lock script can tell from {@code PUBLISH}'s receiver count whether
 * anyone got the grant. Lettuce re-subscribes after a reconnect; notifications published while disconnected are
 * lost and recovered by the waiters' retry timer. Thread-safe: subscription changes are serialized under this
 * object's monitor, so Redis sees each channel's SUBSCRIBE/UNSUBSCRIBE in the order the counts changed.
 */
final class WakeUps implements AutoCloseable {

    private final StatefulRedisPubSubConnection<String, String> connection;
    private final boolean sharded;
    // Changed only under this monitor; read without it by the fast path of retainIfSubscribed.
    private final Map<String, Subscription> channels = new ConcurrentHashMap<>();

    private static final class Subscription {
        int waiters;
        CompletableFuture<Void> ready;
    }

    WakeUps(StatefulRedisPubSubConnection<String, String> connection, boolean sharded, Consumer<String> onWakeUp) {
        this.connection = connection;
        this.sharded = sharded;
        connection.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String channel, String grant) {
                onWakeUp.accept(grant);
            }

            @Override
            public void smessage(String shardChannel, String grant) {
                onWakeUp.accept(grant);
            }
        });
    }

    boolean isConnected() {
        return connection.isOpen();
    }

    /**
     * Adds a waiter on {@code channel} only if Redis has already confirmed its subscription and the connection
     * is up, and says whether it did. A request sent after this returned true is executed by Redis after the
     * subscription, so every grant for it is published to this connection (unless it drops meanwhile, which the
     * waiters' fallback re-check covers). A true answer must be balanced by {@link #unsubscribe}.
     */
    boolean retainIfSubscribed(String channel) {
        if (!channels.containsKey(channel)) {
            return false; // the common, uncontended case: no lock taken
        }
        synchronized (this) {
            Subscription subscription = channels.get(channel);
            if (subscription == null || !connection.isOpen() || !subscription.ready.isDone()
                    || subscription.ready.isCompletedExceptionally()) {
                return false;
            }
            subscription.waiters++;
            return true;
        }
    }

    /** Adds a waiter on {@code channel}; the future completes once Redis confirmed the subscription. */
    synchronized CompletableFuture<Void> subscribe(String channel) {
        Subscription subscription = channels.computeIfAbsent(channel, c -> new Subscription());
        if (subscription.waiters++ == 0) {
            try {
                subscription.ready = (sharded ? connection.async().ssubscribe(channel) : connection.async().subscribe(channel))
                        .toCompletableFuture().thenApply(ignored -> null);
            } catch (RuntimeException e) {
                subscription.ready = CompletableFuture.failedFuture(e);
            }
        }
        return subscription.ready;
    }

    /** Removes a waiter; the last one unsubscribes. */
    synchronized void unsubscribe(String channel) {
        Subscription subscription = channels.get(channel);
        if (subscription == null || --subscription.waiters > 0) {
            return;
        }
        channels.remove(channel);
        try {
            if (sharded) {
                connection.async().sunsubscribe(channel);
            } else {
                connection.async().unsubscribe(channel);
            }
        } catch (RuntimeException e) {
            // Disconnected: Lettuce will not re-subscribe a channel it no longer tracks; nothing to undo.
        }
    }

    @Override
    public synchronized void close() {
        channels.clear();
        connection.close();
    }
}
