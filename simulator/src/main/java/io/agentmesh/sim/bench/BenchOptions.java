package io.agentmesh.sim.bench;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The options the {@code agentmesh bench} commands share, as picocli mixins: each command mixes in the ones it has
 * a use for, so no command offers an option it ignores. {@code --seconds} is not among them: the store benchmark's
 * seconds per scenario and the relay benchmark's seconds of bulk transfer are different quantities with different
 * defaults.
 */
public final class BenchOptions {
    private BenchOptions() {
    }

    /** {@code --out}: where the result goes besides stdout. Every benchmark prints through this. */
    public static final class Output {
        @Spec(Spec.Target.MIXEE)
        CommandSpec command;

        @Option(names = "--out", description = "Also write the JSON result to this file.")
        Path out;

        /** Prints {@code result} as JSON on the command's stdout, and to {@code --out} when given. */
        public void print(BenchResult result) throws IOException {
            String json = result.toJson();
            PrintWriter stdout = command.commandLine().getOut();
            stdout.println(json);
            stdout.flush();
            if (out != null) {
                Path parent = out.toAbsolutePath().getParent();
                if (parent != null) {
                    Files.createDirectories(parent);
                }
                Files.writeString(out, json + System.lineSeparator(), StandardCharsets.UTF_8);
            }
        }
    }

    /** {@code --dir}: the scratch directory for stores and node homes. */
    public static final class ScratchDir {
        @Option(names = "--dir", description = "Scratch directory, kept afterwards (default: a new temporary"
                + " directory, deleted afterwards).")
        Path dir;

        /** {@code --dir}, created if missing, or a new temporary directory named after {@code benchmark}. */
        public Path create(String benchmark) throws IOException {
            return dir != null ? Files.createDirectories(dir) : Files.createTempDirectory("agentmesh-bench-" + benchmark);
        }

        /** Whether {@link #create} made a temporary directory, which the benchmark deletes when done. */
        public boolean temporary() {
            return dir == null;
        }

        /** Deletes {@code work} if it is a temporary directory; a directory given with {@code --dir} stays. */
        public void cleanUp(Path work) {
            if (temporary()) {
                deleteRecursively(work);
            }
        }
    }

    /** {@code --seed}: the seed of a benchmark's random choices, so a run can be repeated. */
    public static final class Seed {
        @Option(names = "--seed", defaultValue = "1", description = "Seed of the benchmark's random choices"
                + " (default ${DEFAULT-VALUE}).")
        long seed;

        public long value() {
            return seed;
        }
    }

    /**
     * {@code --dir}, {@code --seed} and {@code --out} together: the options of a benchmark that works in a scratch
     * directory and makes seeded random choices (store, crash loop, replication, workspace).
     */
    public static final class SeededRun {
        @Mixin
        ScratchDir scratch;

        @Mixin
        Seed seed;

        @Mixin
        Output output;

        public ScratchDir scratch() {
            return scratch;
        }

        public long seed() {
            return seed.value();
        }

        public Output output() {
            return output;
        }
    }

    /** {@code --verbose}: a line per round on stderr, for the benchmarks that run rounds. */
    public static final class Verbose {
        @Spec(Spec.Target.MIXEE)
        CommandSpec command;

        @Option(names = "--verbose", description = "Print one line per round on stderr.")
        boolean verbose;

        /** The command's stderr with {@code --verbose}; otherwise the lines go nowhere. */
        public Progress progress() {
            return new Progress(verbose ? command.commandLine().getErr() : null);
        }
    }

    /** Where a benchmark's progress lines go: each flushed at once, so a long run shows where it is. */
    public static final class Progress {
        private final PrintWriter out;

        /** @param out the writer, or null for none */
        Progress(PrintWriter out) {
            this.out = out;
        }

        /** One line, as given. */
        public void say(String line) {
            if (out != null) {
                out.println(line);
                out.flush();
            }
        }

        /** One line, formatted in the root locale (a decimal point whatever the machine's locale). */
        public void say(String format, Object... args) {
            say(String.format(Locale.ROOT, format, args));
        }
    }

    /** Deletes {@code dir} and everything under it; a missing directory is fine. */
    public static void deleteRecursively(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }
}
