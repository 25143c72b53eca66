package io.agentmesh.node.llm.config;

import java.util.Comparator;
import java.util.Objects;

/**
 * One model at one provider: what a route chooses, what health is kept for, what a price belongs to. Written
 * {@code provider/model} in llm.json (the provider id has no '/', the model name may:
 * {@code openrouter/openai/gpt-4o}).
 */
public record Target(String providerId, String model) implements Comparable<Target> {
    private static final Comparator<Target> ORDER = Comparator.comparing(Target::providerId)
            .thenComparing(Target::model);

    public Target {
        Objects.requireNonNull(providerId, "providerId");
        Objects.requireNonNull(model, "model");
    }

    /** Splits {@code provider/model} at its first '/'; IllegalArgumentException without one. */
    public static Target parse(String text) {
        int slash = text.indexOf('/');
        if (slash <= 0 || slash == text.length() - 1) {
            throw new IllegalArgumentException("\"" + text + "\" is not provider/model");
        }
        return new Target(text.substring(0, slash), text.substring(slash + 1));
    }

    @Override
    public int compareTo(Target o) {
        return ORDER.compare(this, o);
    }

    @Override
    public String toString() {
        return providerId + "/" + model;
    }
}
