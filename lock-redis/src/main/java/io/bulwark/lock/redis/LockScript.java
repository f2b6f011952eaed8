package io.bulwark.lock.redis;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The lock script ({@code lock.lua}, a resource of this package), run with {@code EVALSHA}. The text is read
 * once and never assembled from pieces; its SHA-1 is computed locally, so no {@code SCRIPT LOAD} is needed
 * before the first call. A server that does not know the script (it restarted, or {@code SCRIPT FLUSH})
 * answers {@code NOSCRIPT}; the call is then repeated once with {@code EVAL}, which also caches it.
 * Thread-safe.
 */
final class LockScript {

    private static final String RESOURCE = "lock.lua";

    private final String text;
    private final String sha1;

    private LockScript(String text) {
        this.text = text;
        this.sha1 = sha1(text);
    }

    static LockScript load() {
        try (InputStream in = LockScript.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource io/bulwark/lock/redis/" + RESOURCE + " is missing from the jar");
            }
            return new LockScript(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the lock script", e);
        }
    }

    String sha1() {
        return sha1;
    }

    String text() {
        return text;
    }

    /** Runs the script; the reply is the script's array (Longs and Strings). */
    CompletableFuture<List<Object>> run(RedisAsyncCommands<String, String> redis, String[] keys, String... args) {
        CompletableFuture<List<Object>> first = redis.<List<Object>>evalsha(sha1, ScriptOutputType.MULTI, keys, args)
                .toCompletableFuture();
        return first.handle((reply, failure) -> {
            if (failure == null) {
                return CompletableFuture.completedFuture(reply);
            }
            if (unwrap(failure) instanceof RedisNoScriptException) {
                return redis.<List<Object>>eval(text, ScriptOutputType.MULTI, keys, args).toCompletableFuture();
            }
            return CompletableFuture.<List<Object>>failedFuture(unwrap(failure));
        }).thenCompose(f -> f);
    }

    static Throwable unwrap(Throwable t) {
        while (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static String sha1(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-1", e);
        }
    }
}
