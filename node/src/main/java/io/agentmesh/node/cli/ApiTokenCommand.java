package io.agentmesh.node.cli;

import io.agentmesh.node.api.ApiToken;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.concurrent.Callable;

/** {@code agentmesh api-token new}: makes (or replaces) the HTTP API's bearer token in the home directory. */
@Command(name = "api-token", mixinStandardHelpOptions = true,
        description = "The HTTP API's bearer token, required when `node run --http` is not loopback.",
        subcommands = ApiTokenCommand.New.class)
public final class ApiTokenCommand {

    @Command(name = "new", mixinStandardHelpOptions = true,
            description = {"Make a new API token, keep it in <home>/api-token (mode 0600) and print it once.",
                    "A running node keeps the token it started with: restart it to use the new one."})
    static final class New implements Callable<Integer> {
        @Option(names = "--home", description = "Base directory (default: $AGENTMESH_HOME or ~/.agentmesh).")
        Path home;

        @Option(names = "--force", description = "Replace the token the home already has.")
        boolean force;

        @Override
        public Integer call() throws Exception {
            Path file = HomeOptions.home(home).resolve(ApiToken.FILE_NAME);
            if (Files.exists(file) && !force) {
                throw new IllegalArgumentException(file + " already holds a token; --force replaces it (clients and"
                        + " scrapers holding the old one will get 401)");
            }
            ApiToken token = ApiToken.generate(new SecureRandom());
            token.write(file);
            System.out.println("API token kept in " + file + " (mode 0600); shown once:");
            System.out.println("  " + token.reveal());
            return 0;
        }
    }
}
