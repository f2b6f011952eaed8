package io.bulwark.cli;

import io.bulwark.client.BulwarkClient;
import io.bulwark.client.Transaction;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code bulwark txn}: small serializable transactions from the command line. */
@Command(name = "txn", mixinStandardHelpOptions = true,
        description = {"Run a serializable transaction across any keys (and partitions) of a Bulwark cluster:",
            "all of its writes apply, or none. Conflicts with other transactions are retried.",
            "The cluster is found from --endpoints, else $BULWARK_ENDPOINTS, else the local cluster in --dir."},
        subcommands = {TxnCommandLine.Transfer.class, TxnCommandLine.Run.class})
final class TxnCommandLine implements Runnable {

    @picocli.CommandLine.Spec
    private picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** A transfer that cannot happen: an account missing or not a number, or too little in it. Nothing is written. */
    static final class TransferRefused extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TransferRefused(String message) {
            super(message);
        }
    }

    @Command(name = "transfer", mixinStandardHelpOptions = true,
            description = {"Move AMOUNT from account FROM to account TO (keys holding whole numbers), atomically.",
                "Exit status 1 if FROM holds less than AMOUNT; 2 if an account does not exist or is not a number.",
                "Either way nothing is written."})
    static final class Transfer implements Callable<Integer> {
        @Mixin
        KvCommandLine.Target target;

        @Parameters(index = "0", paramLabel = "FROM")
        String from;

        @Parameters(index = "1", paramLabel = "TO")
        String to;

        @Parameters(index = "2", paramLabel = "AMOUNT", description = "A positive whole number.")
        long amount;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            if (amount <= 0) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "AMOUNT must be positive, was " + amount);
            }
            if (from.equals(to)) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "FROM and TO must be different accounts");
            }
            try (BulwarkClient c = target.connect()) {
                long[] after;
                try {
                    after = c.transact(tx -> {
                        long a = balance(tx, from);
                        long b = balance(tx, to);
                        if (a < amount) {
                            throw new TransferRefused("insufficient balance: " + from + " holds " + a + ", less than "
                                    + amount + "; nothing written");
                        }
                        tx.put(KvCommandLine.utf8(from), KvCommandLine.utf8(Long.toString(a - amount)));
                        tx.put(KvCommandLine.utf8(to), KvCommandLine.utf8(Long.toString(b + amount)));
                        return new long[] {a - amount, b + amount};
                    });
                } catch (TransferRefused e) {
                    System.err.println(e.getMessage());
                    return e.getMessage().startsWith("insufficient") ? 1 : 2;
                }
                int pf = c.partitionOf(KvCommandLine.utf8(from));
                int pt = c.partitionOf(KvCommandLine.utf8(to));
                if (target.json) {
                    System.out.println("{\"committed\":true,\"from\":{\"key\":" + KvCommandLine.json(from) + ",\"balance\":"
                            + after[0] + ",\"partition\":" + pf + "},\"to\":{\"key\":" + KvCommandLine.json(to)
                            + ",\"balance\":" + after[1] + ",\"partition\":" + pt + "}}");
                } else {
                    System.out.printf("committed: %s %d (partition %d) → %s %d (partition %d)%s%n", from, after[0], pf,
                            to, after[1], pt, pf == pt ? "" : ", one transaction across two partitions");
                }
                return 0;
            }
        }

        private static long balance(Transaction tx, String key) {
            byte[] v = tx.get(KvCommandLine.utf8(key));
            if (v == null) {
                throw new TransferRefused("account " + key + " does not exist; nothing written");
            }
            try {
                return Long.parseLong(KvCommandLine.str(v).trim());
            } catch (NumberFormatException e) {
                throw new TransferRefused("account " + key + " holds '" + KvCommandLine.str(v) + "', not a whole number;"
                        + " nothing written");
            }
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = {"Read and write several keys in one transaction: the reads see one consistent state and",
                "the writes apply together. Example: txn run --get a --put b=2 --put c=3 --del d"})
    static final class Run implements Callable<Integer> {
        @Mixin
        KvCommandLine.Target target;

        @Option(names = "--get", paramLabel = "KEY", description = "Read a key (repeatable).")
        List<String> gets = new ArrayList<>();

        @Option(names = "--put", paramLabel = "KEY=VALUE", description = "Write a key (repeatable).")
        List<String> puts = new ArrayList<>();

        @Option(names = "--del", paramLabel = "KEY", description = "Delete a key (repeatable).")
        List<String> dels = new ArrayList<>();

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            if (gets.isEmpty() && puts.isEmpty() && dels.isEmpty()) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "give at least one --get, --put or --del");
            }
            Map<String, String> writes = new LinkedHashMap<>();
            for (String p : puts) {
                int eq = p.indexOf('=');
                if (eq <= 0) {
                    throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                            "--put takes KEY=VALUE, got '" + p + "'");
                }
                writes.put(p.substring(0, eq), p.substring(eq + 1));
            }
            for (String d : dels) {
                writes.put(d, null);
            }
            try (BulwarkClient c = target.connect()) {
                Map<String, String> read = c.transact(tx -> {
                    Map<String, String> out = new LinkedHashMap<>();
                    for (String g : gets) {
                        out.put(g, KvCommandLine.str(tx.get(KvCommandLine.utf8(g))));
                    }
                    for (Map.Entry<String, String> w : writes.entrySet()) {
                        if (w.getValue() == null) {
                            tx.delete(KvCommandLine.utf8(w.getKey()));
                        } else {
                            tx.put(KvCommandLine.utf8(w.getKey()), KvCommandLine.utf8(w.getValue()));
                        }
                    }
                    return out;
                });
                TreeSet<Integer> partitions = new TreeSet<>();
                for (String k : gets) {
                    partitions.add(c.partitionOf(KvCommandLine.utf8(k)));
                }
                for (String k : writes.keySet()) {
                    partitions.add(c.partitionOf(KvCommandLine.utf8(k)));
                }
                if (target.json) {
                    StringBuilder sb = new StringBuilder("{\"committed\":true,\"reads\":{");
                    int i = 0;
                    for (Map.Entry<String, String> e : read.entrySet()) {
                        sb.append(i++ == 0 ? "" : ",").append(KvCommandLine.json(e.getKey())).append(':')
                                .append(KvCommandLine.json(e.getValue()));
                    }
                    System.out.println(sb.append("},\"writes\":").append(writes.size()).append(",\"partitions\":")
                            .append(partitions).append('}'));
                } else {
                    for (Map.Entry<String, String> e : read.entrySet()) {
                        System.out.println(e.getKey() + " = " + (e.getValue() == null ? "(none)" : e.getValue()));
                    }
                    System.out.println("committed: " + read.size() + " reads, " + writes.size() + " writes, partitions "
                            + partitions);
                }
                return 0;
            }
        }
    }
}
