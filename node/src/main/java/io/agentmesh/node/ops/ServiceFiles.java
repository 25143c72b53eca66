package io.agentmesh.node.ops;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Optional;

/**
 * The node's service file, from the templates under {@code packaging/} (shipped in the jar): a systemd unit
 * ({@code agentmesh-node.service}) or a launchd job ({@code io.agentmesh.node.plist}), written atomically.
 */
public final class ServiceFiles {
    /** Which service manager a file is for. */
    public enum Kind {
        SYSTEMD("packaging/systemd/agentmesh-node.service", "agentmesh-node.service"),
        LAUNCHD("packaging/launchd/io.agentmesh.node.plist", "io.agentmesh.node.plist");

        final String template;
        /** The installed file's name. */
        public final String fileName;

        Kind(String template, String fileName) {
            this.template = template;
            this.fileName = fileName;
        }

        /** launchd on macOS, systemd elsewhere. */
        public static Kind forOs(String osName) {
            return osName.toLowerCase(Locale.ROOT).contains("mac") ? LAUNCHD : SYSTEMD;
        }
    }

    /**
     * What goes into the file.
     *
     * @param bin   the agentmesh launcher the service runs
     * @param home  the node's home (its agentmesh.yaml holds the flags)
     * @param user  a per-user service (systemd --user, a LaunchAgent) rather than a system one
     * @param runAs the account a system unit runs as (systemd only; empty: root, refused)
     */
    public record Spec(Path bin, Path home, boolean user, Optional<String> runAs) {
        public Spec {
            if (!bin.isAbsolute() || !home.isAbsolute()) {
                throw new IllegalArgumentException("the launcher and the home must be absolute paths, got " + bin
                        + " and " + home);
            }
            runAs = runAs.filter(s -> !s.isBlank());
            runAs.ifPresent(u -> {
                if (!u.matches("[a-z_][a-z0-9_.-]{0,31}")) {
                    throw new IllegalArgumentException("--run-as must be a user name, got '" + u + "'");
                }
            });
        }
    }

    private ServiceFiles() {
    }

    /** The directory a service file goes to by default. */
    public static Path defaultDir(Kind kind, boolean user, Path userHome, Optional<String> xdgConfigHome) {
        return switch (kind) {
            case SYSTEMD -> user ? xdgConfigHome.filter(s -> !s.isBlank()).map(Path::of)
                    .orElse(userHome.resolve(".config")).resolve("systemd").resolve("user")
                    : Path.of("/etc/systemd/system");
            case LAUNCHD -> user ? userHome.resolve("Library").resolve("LaunchAgents")
                    : Path.of("/Library/LaunchDaemons");
        };
    }

    /** The file's text for {@code spec}. */
    public static String render(Kind kind, Spec spec) throws IOException {
        String template = template(kind);
        return switch (kind) {
            case SYSTEMD -> {
                if (!spec.user() && spec.runAs().isEmpty()) {
                    throw new IllegalArgumentException("a system unit needs --run-as USER (the node should not run"
                            + " as root), or install a per-user unit with --user");
                }
                // The template's header tells how to fill it in by hand; the written unit needs none of that.
                String t = template.replaceAll("(?m)^#[^\\n]*@[^\\n]*\\n", "")
                        .replace("@BIN@", systemdArg(spec.bin())).replace("@HOME@", systemdArg(spec.home()))
                        .replace("@WANTED_BY@", spec.user() ? "default.target" : "multi-user.target");
                // A per-user unit runs as its user already; systemd refuses User= there.
                yield spec.runAs().isPresent() && !spec.user() ? t.replace("@USER@", spec.runAs().get())
                        : t.replaceAll("(?m)^User=@USER@\\n", "");
            }
            case LAUNCHD -> template.replace("@BIN@", xml(spec.bin().toString()))
                    .replace("@HOME@", xml(spec.home().toString()));
        };
    }

    /** Writes {@code text} as {@code dir/<file name>} atomically; returns the path. */
    public static Path install(Kind kind, Path dir, String text) throws IOException {
        Files.createDirectories(dir);
        Path target = dir.resolve(kind.fileName);
        Path tmp = Files.createTempFile(dir, "." + kind.fileName, ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return target;
    }

    /** Removes {@code dir/<file name>}; false when there was none. */
    public static boolean uninstall(Kind kind, Path dir) throws IOException {
        return Files.deleteIfExists(dir.resolve(kind.fileName));
    }

    static String template(Kind kind) throws IOException {
        try (InputStream in = ServiceFiles.class.getClassLoader().getResourceAsStream(kind.template)) {
            if (in == null) {
                throw new IOException("the template " + kind.template + " is missing from this build");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /**
     * A path as one systemd command-line word: specifiers ({@code %}) escaped, quoted when it holds white space;
     * characters systemd would read otherwise (quotes, backslashes, control characters) refused.
     */
    static String systemdArg(Path p) {
        String s = p.toString();
        if (s.chars().anyMatch(c -> c == '"' || c == '\'' || c == '\\' || c < 0x20 || c == 0x7f)) {
            throw new IllegalArgumentException("the path " + s + " holds a quote, backslash or control character,"
                    + " which a systemd unit cannot carry as is; use another path");
        }
        s = s.replace("%", "%%");
        return s.chars().anyMatch(Character::isWhitespace) ? "\"" + s + "\"" : s;
    }

    private static String xml(String s) {
        if (s.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new IllegalArgumentException("the path " + s + " holds a control character; use another path");
        }
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
