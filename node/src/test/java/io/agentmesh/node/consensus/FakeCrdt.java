package io.agentmesh.node.consensus;

import io.agentmesh.state.Intent;
import io.agentmesh.state.Outcome;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Stands in for one node's AgentState in cluster tests: intents and outcomes, merged with connected peers by the
 * harness (AP: a partitioned node keeps its own view). First outcome per intent wins; later writes are counted.
 */
final class FakeCrdt {
    private final TreeMap<String, Intent> intents = new TreeMap<>();
    private final TreeMap<String, Outcome> outcomes = new TreeMap<>();
    private final TreeMap<String, Integer> outcomeWrites = new TreeMap<>();
    boolean dropOutcomeWrites;

    void request(Intent i) {
        intents.putIfAbsent(i.id(), i);
    }

    void recordOutcome(Intent intent, Outcome o) {
        if (dropOutcomeWrites) {
            return;
        }
        outcomeWrites.merge(o.intentId(), 1, Integer::sum);
        intents.putIfAbsent(intent.id(), intent);
        outcomes.putIfAbsent(o.intentId(), o);
    }

    List<Intent> pending() {
        List<Intent> out = new ArrayList<>();
        for (Intent i : intents.values()) {
            if (!outcomes.containsKey(i.id())) {
                out.add(i);
            }
        }
        out.sort(Comparator.comparingLong(Intent::requestedMillis).thenComparing(Intent::id));
        return out;
    }

    Optional<Outcome> outcome(String id) {
        return Optional.ofNullable(outcomes.get(id));
    }

    Map<String, Outcome> outcomes() {
        return outcomes;
    }

    Map<String, Intent> intents() {
        return intents;
    }

    void mergeFrom(FakeCrdt other) {
        other.intents.forEach(intents::putIfAbsent);
        other.outcomes.forEach(outcomes::putIfAbsent);
    }
}
