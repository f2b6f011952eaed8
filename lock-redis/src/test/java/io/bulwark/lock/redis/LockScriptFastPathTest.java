package io.bulwark.lock.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The lock script's fast paths (an exclusive or fair acquire of an idle name, the release of a lone holder nobody
 * waits behind) must leave exactly the state the general code leaves. The script is run twice on the same real
 * Redis: as shipped, and with its fast-path block cut out, on two names, with the same operations; the state
 * strings must agree in every field except those derived from the server's clock (tokens and deadlines), which
 * must agree to within the time between the two calls.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LockScriptFastPathTest {

    private static final String BEGIN = "-- [fast paths]";
    private static final String END = "-- [end of fast paths]";

    private static RedisWithConnection redis;
    private static StatefulRedisConnection<String, String> connection;

    @BeforeAll
    static void start() throws Exception {
        redis = RedisWithConnection.start();
        connection = redis.connection();
    }

    @AfterAll
    static void stop() throws Exception {
        redis.close();
    }

    /** The script as shipped and the same script without its fast paths. */
    private static String[] scripts() {
        String text = LockScript.load().text();
        int begin = text.indexOf(BEGIN);
        int end = text.indexOf(END);
        assertThat(begin).as("fast-path markers in lock.lua").isPositive();
        assertThat(end).isGreaterThan(begin);
        return new String[] {text, text.substring(0, begin) + text.substring(end + END.length())};
    }

    private static List<Object> call(RedisCommands<String, String> redis, String sha, String name, String op, String owner,
                                     String... extra) {
        String base = "fastpath:{" + name + "}:v2";
        String[] keys = {base + ":state", base + ":holders", base + ":hexp", base + ":queue", base + ":waiters",
                base + ":wexp"};
        List<String> args = new ArrayList<>(List.of(op, base + ":wake:", "SPUBLISH", owner, "60000", "10000000", "1000"));
        args.addAll(List.of(extra));
        return redis.evalsha(sha, ScriptOutputType.MULTI, keys, args.toArray(String[]::new));
    }

    private static String[] acquire(String mode, String kind) {
        return new String[] {mode, kind, "1", "0", "30000000", "0", "10000", "wake-id"};
    }

    private static String state(RedisCommands<String, String> redis, String name) {
        return redis.get("fastpath:{" + name + "}:v2:state");
    }

    /** Asserts both state strings agree: time-derived fields within {@code slackMicros}, every other field exactly. */
    private static void assertSameState(String fast, String general, long slackMicros) {
        String[] a = fast.split("\\|", -1);
        String[] b = general.split("\\|", -1);
        assertThat(a).as("fields of %s vs %s", fast, general).hasSameSizeAs(b);
        // token, next, exp (ms) in the head; token and expiry in the inline holder.
        java.util.Set<Integer> clock = a.length > 11 ? java.util.Set.of(0, 9, 10, 14, 18) : java.util.Set.of(0, 9, 10);
        for (int i = 0; i < a.length; i++) {
            if (clock.contains(i)) {
                long slack = i == 10 ? slackMicros / 1000 + 2 : slackMicros;
                assertThat(Math.abs(Long.parseLong(a[i]) - Long.parseLong(b[i]))).as("field %d of %s vs %s", i, fast, general)
                        .isLessThanOrEqualTo(slack);
            } else {
                assertThat(a[i]).as("field %d of %s vs %s", i, fast, general).isEqualTo(b[i]);
            }
        }
    }

    @Test
    void theFastPathsLeaveTheStateTheGeneralCodeLeaves() {
        RedisCommands<String, String> redis = connection.sync();
        String[] scripts = scripts();
        String fastSha = redis.scriptLoad(scripts[0]);
        String generalSha = redis.scriptLoad(scripts[1]);
        long slack = 2_000_000; // the two calls of a step run well within 2 s of each other
        for (String[] kind : List.of(new String[] {"E", "EXCLUSIVE"}, new String[] {"F", "FAIR"})) {
            String fast = "f-" + kind[1];
            String general = "g-" + kind[1];
            for (int round = 1; round <= 3; round++) { // absent, then idle with counters, twice
                String owner = "owner/1#" + round;
                List<Object> a = call(redis, fastSha, fast, "acquire", owner, acquire(kind[0], kind[1]));
                List<Object> b = call(redis, generalSha, general, "acquire", owner, acquire(kind[0], kind[1]));
                assertThat(a.get(0)).isEqualTo(1L).isEqualTo(b.get(0));
                assertThat(a.get(2)).isEqualTo(b.get(2));
                assertSameState(state(redis, fast), state(redis, general), slack);
                assertThat(Math.abs(redis.pttl("fastpath:{" + fast + "}:v2:state")
                        - redis.pttl("fastpath:{" + general + "}:v2:state"))).isLessThan(3_000);

                assertThat(call(redis, fastSha, fast, "release", owner)).isEqualTo(call(redis, generalSha, general,
                        "release", owner)).containsExactly(1L);
                assertSameState(state(redis, fast), state(redis, general), slack);
            }
        }
        // Not a fast path: the general code still answers the cases the fast paths leave to it.
        String owner = "owner/2#1";
        call(redis, fastSha, "busy", "acquire", owner, acquire("E", "EXCLUSIVE"));
        assertThat(call(redis, fastSha, "busy", "acquire", "owner/3#1", acquire("E", "EXCLUSIVE"))).containsExactly(0L);
        assertThat(call(redis, fastSha, "busy", "release", "owner/3#1")).containsExactly(0L);
        assertThat(call(redis, fastSha, "busy", "release", owner)).containsExactly(1L);
    }
}
