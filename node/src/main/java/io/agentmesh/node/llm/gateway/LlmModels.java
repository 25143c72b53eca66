package io.agentmesh.node.llm.gateway;

import io.agentmesh.node.llm.config.LlmConfig;
import io.agentmesh.node.llm.config.ModelConfig;
import io.agentmesh.node.llm.config.ProviderConfig;
import io.agentmesh.node.llm.config.Target;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The names a call may ask for, as the agent's endpoints list them ({@code GET /llm/openai/v1/models}) and as they
 * size a call whose client set no output limit. The same names the router resolves ({@code llm.route.Router}): a
 * configured model's name, an alias, or {@code provider/model}.
 */
public interface LlmModels {
    /** Every name, in llm.json's order: model names first, then aliases, then each {@code provider/model}. */
    List<Entry> models();

    /** The entry of {@code name}, if a call may ask for it. */
    default Optional<Entry> find(String name) {
        return models().stream().filter(e -> e.name().equals(name)).findFirst();
    }

    /** What a name stands for. */
    enum Kind { MODEL, ALIAS, TARGET }

    /**
     * One name a call may ask for.
     *
     * @param targets         the targets it may be sent to, in routing order
     * @param maxOutputTokens the largest output limit among its targets: the worst case of a call that sets none
     */
    record Entry(String name, Kind kind, List<Target> targets, long maxOutputTokens) {
        public Entry {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(kind, "kind");
            targets = List.copyOf(targets);
            if (targets.isEmpty()) {
                throw new IllegalArgumentException("a model name stands for at least one target: " + name);
            }
            if (maxOutputTokens < 1) {
                throw new IllegalArgumentException("maxOutputTokens is at least 1, got " + maxOutputTokens);
            }
        }

        /** The provider ids of its targets, without repeats, in order. */
        public List<String> providers() {
            return targets.stream().map(Target::providerId).distinct().toList();
        }
    }

    /** The names llm.json defines; none when it has no providers. */
    static LlmModels of(LlmConfig config) {
        Objects.requireNonNull(config, "config");
        Map<String, List<Target>> byName = new LinkedHashMap<>();
        for (ProviderConfig p : config.providers()) {
            for (ModelConfig m : p.models()) {
                byName.computeIfAbsent(m.name(), k -> new ArrayList<>()).add(new Target(p.id(), m.name()));
            }
        }
        List<Entry> entries = new ArrayList<>();
        byName.forEach((name, targets) -> entries.add(new Entry(name, Kind.MODEL, targets,
                maxOutput(config, targets))));
        config.routing().aliases().forEach((alias, targets) -> {
            if (!targets.isEmpty()) {
                entries.add(new Entry(alias, Kind.ALIAS, targets, maxOutput(config, targets)));
            }
        });
        for (Target t : config.targets()) {
            if (!byName.containsKey(t.toString())) {
                entries.add(new Entry(t.toString(), Kind.TARGET, List.of(t), maxOutput(config, List.of(t))));
            }
        }
        List<Entry> all = List.copyOf(entries);
        return () -> all;
    }

    private static long maxOutput(LlmConfig config, List<Target> targets) {
        return targets.stream().map(config::model).flatMap(Optional::stream).mapToLong(ModelConfig::maxOutputTokens)
                .max().orElse(1);
    }
}
