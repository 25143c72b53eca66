package io.agentmesh.relay.config;

/**
 * A config file, environment variable or value that cannot be used: the message names where it came from (file and
 * line, or variable) and what is allowed. Nothing has started when it is thrown; the commands exit with 2.
 */
public final class ConfigException extends IllegalArgumentException {
    public ConfigException(String message) {
        super(message);
    }
}
