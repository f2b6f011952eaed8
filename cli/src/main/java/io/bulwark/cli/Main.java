package io.bulwark.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code bulwark} command. */
@Command(name = "bulwark", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Bulwark: consistent hashing, distributed locks, consensus and transactions for the JVM.",
        subcommands = {DemoCommand.class, ServerCommand.class, ClusterCommand.class, KvCommandLine.class, TxnCommandLine.class, RingCommand.class, BenchCommand.class, TortureCommand.class,
            CommandLine.HelpCommand.class},
        commandListHeading = "%nCommands:%n", synopsisSubcommandLabel = "COMMAND",
        footer = {"", "Run 'bulwark COMMAND --help' for a command's options."})
public final class Main implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    /** Runs the command line and exits with its exit code. */
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code (for tests). */
    public static int run(String... args) {
        return new CommandLine(new Main())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler((ex, cmd, parsed) -> {
                    // An exception without a message is a bug somewhere: say what it was and where.
                    cmd.getErr().println("bulwark " + cmd.getCommandName() + ": "
                            + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
                    if (ex.getMessage() == null || ex instanceof NullPointerException) {
                        ex.printStackTrace(cmd.getErr());
                    }
                    return 1;
                })
                .execute(args);
    }

    @Override
    public void run() {
        // No command given: show the command list.
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Reports the version from the jar manifest, or "development" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"bulwark " + (v == null ? "0.1.0-SNAPSHOT" : v)};
        }
    }
}
