package io.bulwark.lock.redis;

import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The backend's one pub/sub connection: a channel per lock name that has local waiters, subscribed while at
 * least one waits (reference-counted), sharded ({@code SSUBSCRIBE}) on Redis 7+. Messages are owner ids of
 * grants; they are handed to {@code onWakeUp}, which ignores owners that are not waiting here. Lettuce
 * re-subscribes after a reconnect; notifications published while disconnected are lost and recovered by the
 * waiters' retry timer. Thread-safe: subscription changes are serialized under this object's monitor, so
 * Redis sees each channel's SUBSCRIBE/UNSUBSCRIBE in the order the counts changed.
 */
final class WakeUps implements AutoCloseable {

    private final StatefulRedisPubSubConnection<String, String> connection;
    private final boolean sharded;
    // Guarded by this.
    private final Map<String, Subscription> channels = new HashMap<>();

    private static final class Subscription {
        int waiters;
        CompletableFuture<Void> ready;
    }

    WakeUps(StatefulRedisPubSubConnection<String, String> connection, boolean sharded, Consumer<String> onWakeUp) {
        this.connection = connection;
        this.sharded = sharded;
        connection.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String channel, String owner) {
                onWakeUp.accept(owner);
            }

            @Override
            public void smessage(String shardChannel, String owner) {
                onWakeUp.accept(owner);
            }
        });
    }

    boolean isConnected() {
        return connection.isOpen();
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
