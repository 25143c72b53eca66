package io.agentmesh.relay.config;

import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.composer.Composer;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.parser.ParserImpl;
import org.snakeyaml.engine.v2.scanner.StreamReader;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The one YAML config file ({@code agentmesh.yaml}): sections ({@code node:}, {@code relay:}) of keys, each a scalar
 * or a list of scalars, every value with the line it is on so an error can point at it. Read with YAML 1.2's core
 * schema (so {@code no} is the string "no", not false), no anchors or aliases, no custom tags, duplicate keys
 * refused, at most {@value #MAX_BYTES} bytes. Which keys a section accepts is decided by {@link OptionDefaults},
 * from the command's options.
 */
public final class ConfigFile {
    public static final int MAX_BYTES = 256 * 1024;
    /** The file's name in the home directory, where it is read from when no {@code --config} is given. */
    public static final String DEFAULT_NAME = "agentmesh.yaml";

    /** One key's value: a single scalar, or the items of a list. */
    public record Value(List<String> items, boolean list, int line) {
        public Value {
            items = List.copyOf(items);
        }
    }

    private final Path file;
    private final Map<String, Map<String, Value>> sections;

    private ConfigFile(Path file, Map<String, Map<String, Value>> sections) {
        this.file = file;
        this.sections = sections;
    }

    public Path file() {
        return file;
    }

    /** The keys of {@code section} in file order; empty when the file has no such section. */
    public Map<String, Value> section(String section) {
        return sections.getOrDefault(section, Map.of());
    }

    /** {@code file line N}, for messages. */
    public String at(int line) {
        return file + " line " + line;
    }

    /**
     * Reads {@code file}, whose top level must be a mapping of sections out of {@code knownSections}. Throws
     * {@link ConfigException} naming the file and line of anything malformed; IOException when it cannot be read.
     */
    public static ConfigFile read(Path file, Set<String> knownSections) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new ConfigException("config file " + file + " does not exist or is not a file");
        }
        if (Files.size(file) > MAX_BYTES) {
            throw new ConfigException("config file " + file + " is larger than " + MAX_BYTES + " bytes");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (CharacterCodingException e) {
            throw new ConfigException("config file " + file + " is not UTF-8 text");
        }
        return parse(file, text, knownSections);
    }

    static ConfigFile parse(Path file, String text, Set<String> knownSections) {
        LoadSettings settings = LoadSettings.builder().setLabel(file.toString()).setAllowDuplicateKeys(false)
                .setMaxAliasesForCollections(0).setCodePointLimit(MAX_BYTES).setUseMarks(true).build();
        Optional<Node> root;
        try {
            Composer composer = new Composer(settings, new ParserImpl(settings, new StreamReader(settings, text)));
            root = composer.getSingleNode();
        } catch (MarkedYamlEngineException e) {
            String line = e.getProblemMark().map(m -> " line " + (m.getLine() + 1)).orElse("");
            throw new ConfigException("config file " + file + line + " is not valid YAML: " + e.getProblem());
        } catch (YamlEngineException e) {
            throw new ConfigException("config file " + file + " is not valid YAML: "
                    + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
        }
        ConfigFile shape = new ConfigFile(file, Map.of());
        Map<String, Map<String, Value>> sections = new LinkedHashMap<>();
        if (root.isEmpty()) {
            return new ConfigFile(file, sections);
        }
        MappingNode top = shape.mapping(root.get(), "the top level (sections such as "
                + String.join(", ", new TreeSet<>(knownSections)) + ")");
        for (NodeTuple t : top.getValue()) {
            String name = shape.key(t.getKeyNode());
            if (!knownSections.contains(name)) {
                throw new ConfigException(shape.at(line(t.getKeyNode())) + ": unknown section \"" + name
                        + "\" (allowed: " + String.join(", ", new TreeSet<>(knownSections)) + ")");
            }
            Map<String, Value> keys = new LinkedHashMap<>();
            if (!isNull(t.getValueNode())) {
                for (NodeTuple kv : shape.mapping(t.getValueNode(), "section " + name).getValue()) {
                    String key = shape.key(kv.getKeyNode());
                    if (keys.containsKey(key)) {
                        throw new ConfigException(shape.at(line(kv.getKeyNode())) + ": " + name + "." + key
                                + " is given twice");
                    }
                    keys.put(key, shape.value(kv.getValueNode(), name + "." + key));
                }
            }
            if (sections.put(name, Collections.unmodifiableMap(keys)) != null) {
                throw new ConfigException(shape.at(line(t.getKeyNode())) + ": section " + name + " is given twice");
            }
        }
        return new ConfigFile(file, Collections.unmodifiableMap(sections));
    }

    private MappingNode mapping(Node node, String what) {
        if (node instanceof MappingNode m) {
            return m;
        }
        throw new ConfigException(at(line(node)) + ": " + what + " must be a mapping of key: value");
    }

    private String key(Node node) {
        if (node instanceof ScalarNode s && !isNull(s)) {
            return s.getValue();
        }
        throw new ConfigException(at(line(node)) + ": a key must be a plain name");
    }

    private Value value(Node node, String where) {
        if (node.getAnchor().isPresent() || node instanceof SequenceNode seq
                && seq.getValue().stream().anyMatch(n -> n.getAnchor().isPresent())) {
            throw new ConfigException(at(line(node)) + ": " + where + " uses a YAML anchor; write the value out"
                    + " (anchors and aliases are not read here)");
        }
        if (node instanceof ScalarNode s) {
            if (isNull(s)) {
                throw new ConfigException(at(line(node)) + ": " + where + " has no value (remove the key for the"
                        + " default)");
            }
            return new Value(List.of(s.getValue()), false, line(node));
        }
        if (node instanceof SequenceNode seq) {
            List<String> items = new ArrayList<>();
            for (Node item : seq.getValue()) {
                if (!(item instanceof ScalarNode s) || isNull(s)) {
                    throw new ConfigException(at(line(item)) + ": the items of " + where + " must be plain values");
                }
                items.add(s.getValue());
            }
            return new Value(items, true, line(node));
        }
        throw new ConfigException(at(line(node)) + ": " + where + " must be a value or a list of values, not a"
                + " mapping");
    }

    private static boolean isNull(Node node) {
        return node instanceof ScalarNode s && Tag.NULL.equals(s.getTag()) && s.isPlain();
    }

    private static int line(Node node) {
        return node.getStartMark().map(Mark::getLine).orElse(-1) + 1;
    }
}
