package io.agentmesh.node.llm.config;

import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where a provider's key is on this node. llm.json names the place, never the key: a key written there would travel
 * with every copy and backup of the file. Keys never enter the replicated state, the journal, logs or outcomes.
 */
public sealed interface KeySource {
    /** For messages: where the key is looked for, never the key. */
    String describe();

    /** An environment variable of the node's process ({@code "keyEnv": "OPENAI_API_KEY"}). */
    record EnvVar(String name) implements KeySource {
        public static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");

        public EnvVar {
            Objects.requireNonNull(name, "name");
            if (!NAME.matcher(name).matches()) {
                // Never echoed: a key pasted here by mistake must not reach a log.
                throw new IllegalArgumentException("keyEnv must name an environment variable (letters, digits and"
                        + " '_', not starting with a digit); if you put the key itself there, move it into the"
                        + " node's environment and name the variable instead");
            }
        }

        @Override
        public String describe() {
            return "environment variable " + name;
        }
    }

    /** A file holding only the key, readable by the node's user alone ({@code "keyFile": "/etc/agentmesh/x.key"}). */
    record KeyFile(Path path) implements KeySource {
        public KeyFile {
            Objects.requireNonNull(path, "path");
            if (!path.isAbsolute()) {
                throw new IllegalArgumentException("keyFile must be an absolute path");
            }
        }

        @Override
        public String describe() {
            return "key file " + path;
        }
    }

    /** No key: a local OpenAI-compatible server (Ollama, vLLM) that takes none ({@code "noKey": true}). */
    record NoKey() implements KeySource {
        @Override
        public String describe() {
            return "no key (noKey)";
        }
    }
}
