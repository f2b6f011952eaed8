package io.bulwark.server.node;

import io.bulwark.client.BulwarkClient;
import io.bulwark.client.ClientOptions;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Background work of a node that acts on the cluster through a client of it (the transaction sweeper, the
 * placement driver): one daemon thread running a task periodically, a client created on first use, and a
 * close that stops both. Subclasses start the task with {@link #every} at the end of their constructor.
 */
abstract class NodeDaemon implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(NodeDaemon.class.getName());

    final int nodeId;
    private final ScheduledExecutorService executor;
    private final Supplier<ClientOptions> clientOptions;
    private BulwarkClient client;
    volatile boolean closed;

    NodeDaemon(int nodeId, String name, Supplier<ClientOptions> clientOptions) {
        this.nodeId = nodeId;
        this.clientOptions = clientOptions;
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bulwark-node-" + nodeId + "-" + name);
            t.setDaemon(true);
            return t;
        });
    }

    /** Runs {@code task} every {@code period} (after each run ends), starting one period from now. */
    final void every(Duration period, Runnable task) {
        executor.scheduleWithFixedDelay(task, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * As {@link #every(Duration, Runnable)}, logging a run that throws ("node N: {@code what} failed: ...", unless
     * closing) instead of ending the schedule: the next run tries again.
     */
    final void every(Duration period, String what, Runnable task) {
        every(period, () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                if (!closed) {
                    LOG.log(System.Logger.Level.WARNING, "node " + nodeId + ": " + what + " failed: " + e.getMessage());
                }
            }
        });
    }

    /** A client of the cluster, connected on first use. */
    final synchronized BulwarkClient client() {
        if (client == null) {
            client = BulwarkClient.connect(clientOptions.get());
        }
        return client;
    }

    @Override
    public void close() {
        closed = true;
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            if (client != null) {
                client.close();
            }
        }
    }
}
