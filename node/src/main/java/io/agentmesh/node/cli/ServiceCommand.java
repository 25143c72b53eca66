package io.agentmesh.node.cli;

import io.agentmesh.node.ops.ServiceFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code agentmesh service install|uninstall}: the node as a systemd service (Linux) or a launchd job (macOS), from
 * the templates under {@code packaging/}. The node's flags live in {@code <home>/agentmesh.yaml}, so the service
 * file stays the same when they change.
 */
@Command(name = "service", mixinStandardHelpOptions = true,
        description = "Install or remove the node as a service: a systemd unit on Linux, a launchd job on macOS.",
        subcommands = {ServiceCommand.Install.class, ServiceCommand.Uninstall.class})
public final class ServiceCommand {
    /** Set by bin/agentmesh to its own path, the program a service runs. */
    static final String LAUNCHER_ENV = "AGENTMESH_LAUNCHER";

    private ServiceCommand() {
    }

    static class Where {
        @Option(names = "--user", description = "A per-user service (systemctl --user; a LaunchAgent) instead of a"
                + " system one.")
        boolean user;

        @Option(names = "--unit-dir", paramLabel = "DIR", description = "Directory to write to (default:"
                + " /etc/systemd/system, ~/.config/systemd/user with --user; /Library/LaunchDaemons,"
                + " ~/Library/LaunchAgents on macOS).")
        Path unitDir;

        @Option(names = "--kind", paramLabel = "systemd|launchd", description = "Service manager (default: launchd on"
                + " macOS, systemd elsewhere).")
        String kind;

        ServiceFiles.Kind kind() {
            if (kind == null) {
                return ServiceFiles.Kind.forOs(System.getProperty("os.name"));
            }
            return switch (kind) {
                case "systemd" -> ServiceFiles.Kind.SYSTEMD;
                case "launchd" -> ServiceFiles.Kind.LAUNCHD;
                default -> throw new IllegalArgumentException("--kind is systemd or launchd, got '" + kind + "'");
            };
        }

        Path dir(ServiceFiles.Kind k) {
            return unitDir != null ? unitDir : ServiceFiles.defaultDir(k, user,
                    Path.of(System.getProperty("user.home")), Optional.ofNullable(System.getenv("XDG_CONFIG_HOME")));
        }
    }

    @Command(name = "install", mixinStandardHelpOptions = true,
            description = {"Write the service file that runs `agentmesh node run --home HOME` (its flags from"
                    + " HOME/agentmesh.yaml), restarted on failure; systemd's unit is Type=notify with a watchdog.",
                    "Then start it with the commands it prints."},
            footer = {"", "Examples:", "  agentmesh service install --user",
                    "  sudo agentmesh service install --run-as agentmesh --home /var/lib/agentmesh"})
    static final class Install extends Where implements Callable<Integer> {
        @Option(names = "--home", description = "The node's home (default: $AGENTMESH_HOME or ~/.agentmesh).")
        Path home;

        @Option(names = "--bin", paramLabel = "PATH", description = "The agentmesh launcher the service runs"
                + " (default: the one running this command).")
        Path bin;

        @Option(names = "--run-as", paramLabel = "USER", description = "Account a system unit runs as (systemd;"
                + " required without --user).")
        String runAs;

        @Override
        public Integer call() throws Exception {
            ServiceFiles.Kind k = kind();
            Path launcher = bin != null ? bin : Optional.ofNullable(System.getenv(LAUNCHER_ENV)).map(Path::of)
                    .orElseThrow(() -> new IllegalArgumentException("which agentmesh should the service run? pass"
                            + " --bin /path/to/bin/agentmesh"));
            launcher = launcher.toAbsolutePath().normalize();
            if (!Files.isExecutable(launcher)) {
                throw new IllegalArgumentException("--bin " + launcher + " is not an executable file");
            }
            Path nodeHome = HomeOptions.home(home).toAbsolutePath().normalize();
            String text = ServiceFiles.render(k, new ServiceFiles.Spec(launcher, nodeHome, user,
                    Optional.ofNullable(runAs)));
            Path written = ServiceFiles.install(k, dir(k), text);
            System.out.println("wrote " + written);
            if (!Files.exists(nodeHome.resolve(io.agentmesh.relay.config.ConfigFile.DEFAULT_NAME))) {
                System.out.println("note: " + nodeHome.resolve(io.agentmesh.relay.config.ConfigFile.DEFAULT_NAME)
                        + " does not exist yet; put the node's flags there (agentmesh config keys lists them)");
            }
            String ctl = user ? "systemctl --user" : "systemctl";
            System.out.println(k == ServiceFiles.Kind.SYSTEMD
                    ? "start it:  " + ctl + " daemon-reload && " + ctl + " enable --now agentmesh-node"
                    + "\nlogs:      journalctl " + (user ? "--user " : "") + "-u agentmesh-node -f"
                    : "start it:  launchctl load -w " + written);
            return 0;
        }
    }

    @Command(name = "uninstall", mixinStandardHelpOptions = true,
            description = "Remove the service file, then print how to stop the service and reload the manager.")
    static final class Uninstall extends Where implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            ServiceFiles.Kind k = kind();
            Path dir = dir(k);
            String ctl = user ? "systemctl --user" : "systemctl";
            boolean removed = ServiceFiles.uninstall(k, dir);
            System.out.println(removed ? "removed " + dir.resolve(k.fileName) : "no " + dir.resolve(k.fileName)
                    + " to remove");
            if (removed) {
                System.out.println(k == ServiceFiles.Kind.SYSTEMD ? "then:  " + ctl + " stop agentmesh-node; " + ctl
                        + " daemon-reload" : "then:  launchctl remove io.agentmesh.node");
            }
            return 0;
        }
    }
}
