package io.agentmesh.node.llm.cost;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentmesh.node.configfile.StrictJson;
import io.agentmesh.node.llm.ProviderKind;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The model prices shipped in the node ({@code llm-prices.json} on the classpath), by provider kind and model. Never
 * fetched at run time: a node prices calls the same way offline, and a price changes only with a release or the
 * node's own llm.json (LiteLLM fetches its map at import, which offline users switch off).
 *
 * <p>A name is found exactly, as one of an entry's aliases, or, failing both, with a dated snapshot suffix removed
 * ({@code claude-haiku-4-5-20251001}, {@code gpt-4o-2024-08-06}). Nothing looser: a prefix match would price
 * {@code gpt-5.4} as {@code gpt-5}. Azure OpenAI models are looked up in the OPENAI section when the table has no
 * AZURE_OPENAI section of its own (Azure's global deployments charge OpenAI's list prices).
 */
public final class PriceTable {
    public static final String RESOURCE = "/llm-prices.json";
    public static final int MAX_BYTES = 1024 * 1024;
    private static final Set<String> TOP_KEYS = Set.of("about", "unit", "prices");
    private static final Set<String> ENTRY_KEYS = Set.of("model", "aliases", "source", "checkedAt", "note");
    private static final Pattern DATED = Pattern.compile("(.+?)-(\\d{8}|\\d{4}-\\d{2}-\\d{2})");

    private final Map<ProviderKind, Map<String, PriceEntry>> byKind;

    private PriceTable(Map<ProviderKind, Map<String, PriceEntry>> byKind) {
        this.byKind = byKind;
    }

    /** The table shipped in the node. Throws IllegalStateException if the build shipped a broken one. */
    public static PriceTable shipped() {
        try (InputStream in = PriceTable.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the price table " + RESOURCE + " is missing from the classpath");
            }
            return parse(in.readNBytes(MAX_BYTES + 1), "price table " + RESOURCE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the price table " + RESOURCE, e);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("the shipped " + e.getMessage(), e);
        }
    }

    /** Parses a table in the shipped format; IllegalArgumentException names the entry and the problem. */
    public static PriceTable parse(byte[] json, String what) {
        if (json.length > MAX_BYTES) {
            throw new IllegalArgumentException(what + " is larger than " + MAX_BYTES + " bytes");
        }
        JsonNode root = StrictJson.parse(json, what, StrictJson.ParseErrors.QUOTE);
        if (!root.isObject()) {
            throw new IllegalArgumentException(what + " must be a JSON object {\"prices\": {\"OPENAI\": [...]}}");
        }
        StrictJson.refuseUnknownKeys(root, TOP_KEYS, what);
        JsonNode prices = root.path("prices");
        if (!prices.isObject()) {
            throw new IllegalArgumentException(what + ": \"prices\" (an object of provider kinds) is required");
        }
        Map<ProviderKind, Map<String, PriceEntry>> byKind = new EnumMap<>(ProviderKind.class);
        for (Map.Entry<String, JsonNode> section : prices.properties()) {
            ProviderKind kind = kind(section.getKey(), what);
            if (!section.getValue().isArray()) {
                throw new IllegalArgumentException(what + ": prices." + kind + " must be an array of entries");
            }
            Map<String, PriceEntry> names = new TreeMap<>();
            int i = 0;
            for (JsonNode e : section.getValue()) {
                String where = what + ": prices." + kind + "[" + i++ + "]";
                PriceEntry entry = entry(kind, e, where);
                List<String> all = new ArrayList<>(entry.aliases());
                all.add(0, entry.model());
                for (String name : all) {
                    if (names.putIfAbsent(name, entry) != null) {
                        throw new IllegalArgumentException(where + ": the name \"" + name + "\" is priced twice");
                    }
                }
            }
            byKind.put(kind, Collections.unmodifiableMap(names));
        }
        return new PriceTable(Collections.unmodifiableMap(byKind));
    }

    private static ProviderKind kind(String name, String what) {
        try {
            return ProviderKind.valueOf(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + ": prices has a section \"" + name + "\"; sections are named"
                    + " after provider kinds: " + List.of(ProviderKind.values()));
        }
    }

    private static PriceEntry entry(ProviderKind kind, JsonNode e, String where) {
        if (!e.isObject()) {
            throw new IllegalArgumentException(where + " must be an object");
        }
        Price price = PriceJson.parse(e, where, ENTRY_KEYS);
        String model = text(e, "model", where);
        List<String> aliases = new ArrayList<>();
        JsonNode a = e.get("aliases");
        if (a != null) {
            if (!a.isArray()) {
                throw new IllegalArgumentException(where + ".aliases must be an array of model names");
            }
            for (JsonNode n : a) {
                if (!n.isTextual() || n.asText().isBlank()) {
                    throw new IllegalArgumentException(where + ".aliases must hold model names, got " + n);
                }
                aliases.add(n.asText());
            }
        }
        URI source;
        try {
            source = new URI(text(e, "source", where));
        } catch (URISyntaxException ex) {
            throw new IllegalArgumentException(where + ".source must be a URL: " + ex.getMessage());
        }
        if (!"https".equals(source.getScheme())) {
            throw new IllegalArgumentException(where + ".source must be an https URL, got " + source);
        }
        LocalDate checked;
        try {
            checked = LocalDate.parse(text(e, "checkedAt", where));
        } catch (DateTimeParseException ex) {
            throw new IllegalArgumentException(where + ".checkedAt must be a date like 2026-07-29");
        }
        JsonNode note = e.get("note");
        if (note != null && !note.isTextual()) {
            throw new IllegalArgumentException(where + ".note must be a string");
        }
        return new PriceEntry(kind, model, aliases, price, source, checked);
    }

    private static String text(JsonNode e, String key, String where) {
        JsonNode v = e.get(key);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            throw new IllegalArgumentException(where + "." + key + " (a string) is required");
        }
        return v.asText();
    }

    /** The entry pricing {@code model} at a provider of {@code kind}, if the table has one. */
    public Optional<PriceEntry> find(ProviderKind kind, String model) {
        Optional<PriceEntry> own = findIn(kind, model);
        if (own.isEmpty() && kind == ProviderKind.AZURE_OPENAI && !byKind.containsKey(ProviderKind.AZURE_OPENAI)) {
            return findIn(ProviderKind.OPENAI, model);
        }
        return own;
    }

    private Optional<PriceEntry> findIn(ProviderKind kind, String model) {
        Map<String, PriceEntry> names = byKind.getOrDefault(kind, Map.of());
        PriceEntry exact = names.get(model);
        if (exact != null) {
            return Optional.of(exact);
        }
        Matcher m = DATED.matcher(model);
        return m.matches() ? Optional.ofNullable(names.get(m.group(1))) : Optional.empty();
    }

    /** Every entry, by kind and name (aliases included), for status and tests. */
    public Map<ProviderKind, Map<String, PriceEntry>> entries() {
        return byKind;
    }
}
