package io.agentmesh.sim.live;

import io.agentmesh.node.actions.exec.CommandRunner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * How the MCP client tests start {@code agentmesh mcp}: from the real runnable jar ({@code node/target/...-all.jar},
 * what bin/agentmesh runs) when it is there and newer than the node's compiled classes, as in a full
 * {@code ./mvnw verify}; otherwise from this test's class path with the same main class (a targeted test run, which
 * does not package the node).
 */
final class McpLaunch {
    static final Path NODE_JAR = Path.of("..", "node", "target", "node-0.1.0-SNAPSHOT-all.jar");
    private static final Path NODE_CLASSES = Path.of("..", "node", "target", "classes");

    private McpLaunch() {
    }

    /** Whether the command runs the shaded jar. */
    static boolean usesJar() {
        if (!Files.isRegularFile(NODE_JAR)) {
            return false;
        }
        try (Stream<Path> classes = Files.walk(NODE_CLASSES)) {
            FileTime jar = Files.getLastModifiedTime(NODE_JAR);
            return classes.filter(Files::isRegularFile).noneMatch(p -> {
                try {
                    return Files.getLastModifiedTime(p).compareTo(jar) > 0;
                } catch (IOException e) {
                    return true;
                }
            });
        } catch (IOException e) {
            return false;
        }
    }

    /** The command line of {@code agentmesh mcp --api http://127.0.0.1:<port>}, program first. */
    static List<String> command(int httpPort, String... extra) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Xmx128m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
        if (usesJar()) {
            cmd.addAll(List.of("-jar", NODE_JAR.toAbsolutePath().normalize().toString()));
        } else {
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), LiveCluster.NODE_MAIN));
        }
        cmd.addAll(List.of("mcp", "--api", "http://127.0.0.1:" + httpPort));
        cmd.addAll(List.of(extra));
        return cmd;
    }

    static boolean onPath(String exe) {
        return CommandRunner.resolveProgram(exe, System.getenv("PATH"), Optional.empty()).isPresent();
    }
}
