package io.agentmesh.node.ops;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** What a system tool the node asks about its machine ({@code tailscale}, {@code timedatectl}) prints. */
final class ToolOutput {
    private ToolOutput() {
    }

    /**
     * The first {@code maxBytes} of what {@code name} (looked up on {@code path}, the PATH variable) prints for
     * {@code args}, standard error included and nothing on its input; empty when it is not there, fails to start,
     * exits other than 0 or runs longer than {@code timeoutMs} (then it is killed).
     */
    static Optional<String> of(String path, String name, int maxBytes, long timeoutMs, String... args) {
        Optional<Path> tool = Tailnet.onPath(path, name);
        if (tool.isEmpty()) {
            return Optional.empty();
        }
        List<String> command = new ArrayList<>(List.of(tool.get().toString()));
        command.addAll(List.of(args));
        Process p = null;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            byte[] out;
            try (InputStream in = p.getInputStream()) {
                out = in.readNBytes(maxBytes);
            }
            if (!p.waitFor(timeoutMs, TimeUnit.MILLISECONDS) || p.exitValue() != 0) {
                return Optional.empty();
            }
            return Optional.of(new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } finally {
            if (p != null && p.isAlive()) {
                p.destroyForcibly();
            }
        }
    }
}
