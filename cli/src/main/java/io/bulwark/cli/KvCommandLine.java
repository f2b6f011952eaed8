package io.bulwark.cli;

import io.bulwark.client.BulwarkClient;
import io.bulwark.paxos.kv.KvResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code bulwark kv}: reads and writes against a cluster. Keys and values are UTF-8 strings. */
@Command(name = "kv", mixinStandardHelpOptions = true,
        description = {"Read and write keys in a Bulwark cluster (linearizable; values checksummed end to end).",
            "The cluster is found from --endpoints, else $BULWARK_ENDPOINTS, else the local cluster in --dir."},
        subcommands = {KvCommandLine.Get.class, KvCommandLine.Put.class, KvCommandLine.Del.class,
            KvCommandLine.Cas.class, KvCommandLine.Scan.class})
final class KvCommandLine implements Runnable {

    @picocli.CommandLine.Spec
    private picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final class Target {
        @Option(names = "--endpoints", description = "Node client addresses, host:port[,host:port...].")
        String endpoints;

        @Option(names = "--dir", description = "A local cluster's directory (default: ${DEFAULT-VALUE}).")
        Path dir = Path.of(ClusterCommand.DEFAULT_DIR);

        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        BulwarkClient connect() throws IOException {
            String e = endpoints != null ? endpoints : System.getenv("BULWARK_ENDPOINTS");
            if (e == null || e.isBlank()) {
                e = ClusterCommand.endpoints(ClusterCommand.readSpec(dir));
            }
            return BulwarkClient.connect(e);
        }
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String str(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    static String json(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    @Command(name = "get", mixinStandardHelpOptions = true,
            description = "Print a key's value; exit status 1 if the key has none.")
    static final class Get implements Callable<Integer> {
        @Mixin
        Target target;

        @Parameters(index = "0", paramLabel = "KEY")
        String key;

        @Override
        public Integer call() throws IOException {
            try (BulwarkClient c = target.connect()) {
                byte[] v = c.get(utf8(key));
                if (target.json) {
                    System.out.println("{\"key\":" + json(key) + ",\"found\":" + (v != null) + ",\"value\":" + json(str(v))
                            + ",\"partition\":" + c.partitionOf(utf8(key)) + "}");
                } else if (v != null) {
                    System.out.println(str(v));
                } else {
                    System.err.println("(not found)");
                }
                return v != null ? 0 : 1;
            }
        }
    }

    @Command(name = "put", mixinStandardHelpOptions = true, description = "Set a key's value.")
    static final class Put implements Callable<Integer> {
        @Mixin
        Target target;

        @Parameters(index = "0", paramLabel = "KEY")
        String key;

        @Parameters(index = "1", paramLabel = "VALUE")
        String value;

        @Override
        public Integer call() throws IOException {
            try (BulwarkClient c = target.connect()) {
                c.put(utf8(key), utf8(value));
                int p = c.partitionOf(utf8(key));
                if (target.json) {
                    System.out.println("{\"key\":" + json(key) + ",\"ok\":true,\"partition\":" + p + "}");
                } else {
                    System.out.println("OK (partition " + p + ", replicas " + java.util.Arrays.toString(c.topology().replicas()[p]) + ")");
                }
                return 0;
            }
        }
    }

    @Command(name = "del", aliases = "delete", mixinStandardHelpOptions = true,
            description = "Remove a key (no error if it has no value).")
    static final class Del implements Callable<Integer> {
        @Mixin
        Target target;

        @Parameters(index = "0", paramLabel = "KEY")
        String key;

        @Override
        public Integer call() throws IOException {
            try (BulwarkClient c = target.connect()) {
                c.delete(utf8(key));
                System.out.println(target.json ? "{\"key\":" + json(key) + ",\"ok\":true}" : "OK");
                return 0;
            }
        }
    }

    @Command(name = "cas", mixinStandardHelpOptions = true,
            description = {"Compare-and-set: set KEY to NEW only if its value is EXPECTED (or, with --absent, only if",
                "it has none). Exit status 1 when the condition fails (nothing is written)."})
    static final class Cas implements Callable<Integer> {
        @Mixin
        Target target;

        @Option(names = "--absent", description = "Expect the key to have no value; then give only KEY and NEW.")
        boolean absent;

        @Parameters(paramLabel = "KEY [EXPECTED] NEW", arity = "2..3")
        List<String> args;

        @Override
        public Integer call() throws IOException {
            if (absent != (args.size() == 2)) {
                throw new IllegalArgumentException(absent ? "with --absent give KEY NEW" : "give KEY EXPECTED NEW (or --absent KEY NEW)");
            }
            String key = args.get(0);
            byte[] expected = absent ? null : utf8(args.get(1));
            byte[] next = utf8(args.get(args.size() - 1));
            try (BulwarkClient c = target.connect()) {
                boolean ok = c.compareAndSet(utf8(key), expected, next);
                if (target.json) {
                    System.out.println("{\"key\":" + json(key) + ",\"succeeded\":" + ok + "}");
                } else {
                    System.out.println(ok ? "OK" : "condition failed: the value was not "
                            + (absent ? "absent" : "'" + args.get(1) + "'") + "; nothing written");
                }
                return ok ? 0 : 1;
            }
        }
    }

    @Command(name = "scan", mixinStandardHelpOptions = true,
            description = {"List keys in [START, END) in byte order across all partitions (each partition is read",
                "linearizably; the partitions one after another)."})
    static final class Scan implements Callable<Integer> {
        @Mixin
        Target target;

        @Parameters(index = "0", arity = "0..1", paramLabel = "START", description = "First key (default: the first).")
        String start = "";

        @Parameters(index = "1", arity = "0..1", paramLabel = "END", description = "Exclusive end (default: none).")
        String end;

        @Option(names = "--limit", description = "Most keys to list (default: ${DEFAULT-VALUE}).")
        int limit = 100;

        @Override
        public Integer call() throws IOException {
            try (BulwarkClient c = target.connect()) {
                List<KvResult.KeyValue> list = c.scanAll(utf8(start), end == null ? null : utf8(end), limit);
                if (target.json) {
                    StringBuilder sb = new StringBuilder("[");
                    for (KvResult.KeyValue kv : list) {
                        sb.append(sb.length() == 1 ? "" : ",").append("{\"key\":").append(json(str(kv.key())))
                                .append(",\"value\":").append(json(str(kv.value()))).append('}');
                    }
                    System.out.println(sb.append(']'));
                } else {
                    for (KvResult.KeyValue kv : list) {
                        System.out.println(str(kv.key()) + " = " + str(kv.value()));
                    }
                    System.out.println("(" + list.size() + " keys)");
                }
                return 0;
            }
        }
    }
}
