package io.agentmesh.node.configfile;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reading the node-local JSON config files ({@code exec.json}, {@code llm.json}) the one strict way: a duplicated key
 * is an error rather than last-wins, trailing content is an error, fractions are read as exact decimals (prices and
 * budgets are money), unknown keys are refused with the list of known ones, and every message names the file and the
 * place in it.
 */
public final class StrictJson {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /** Whether a parse error may quote the parser's description, which can contain a fragment of the file. */
    public enum ParseErrors {
        /** Quote the parser's first line: the file holds nothing secret. */
        QUOTE,
        /** Only line and column: the file names secrets, and a mistyped one could be echoed into a log. */
        LOCATION_ONLY
    }

    private StrictJson() {
    }

    /**
     * Reads one JSON file of at most {@code maxBytes}. Throws IllegalArgumentException naming {@code what} and the
     * file when it is missing, too large or not JSON; IOException when it cannot be read.
     */
    public static JsonNode readFile(Path abs, String what, int maxBytes, ParseErrors parseErrors) throws IOException {
        if (!Files.isRegularFile(abs)) {
            throw new IllegalArgumentException(what + " " + abs + " does not exist or is not a file");
        }
        if (Files.size(abs) > maxBytes) {
            throw new IllegalArgumentException(what + " " + abs + " is larger than " + maxBytes + " bytes");
        }
        return parse(Files.readAllBytes(abs), what + " " + abs, parseErrors);
    }

    /**
     * Parses JSON bytes (a file's or a resource's) the same strict way; {@code what} names them in the message.
     */
    public static JsonNode parse(byte[] bytes, String what, ParseErrors parseErrors) {
        try {
            return JSON.readTree(bytes);
        } catch (IOException e) {
            String detail = switch (parseErrors) {
                case QUOTE -> String.valueOf(e.getMessage()).lines().findFirst().orElse("");
                case LOCATION_ONLY -> e instanceof JsonProcessingException j ? at(j.getLocation())
                        : "unreadable";
            };
            throw new IllegalArgumentException(what + " is not valid JSON: " + detail);
        }
    }

    private static String at(JsonLocation location) {
        if (location == null || location.getLineNr() < 0) {
            return "a syntax error (position unknown)";
        }
        return "a syntax error at line " + location.getLineNr() + ", column " + location.getColumnNr();
    }

    /** Refuses any key of {@code node} outside {@code known}: a typo would otherwise be a silent default. */
    public static void refuseUnknownKeys(JsonNode node, Set<String> known, String where) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!known.contains(k)) {
                throw new IllegalArgumentException(where + ": unknown key \"" + k + "\" (known: "
                        + String.join(", ", new TreeSet<>(known)) + ")");
            }
        }
    }

    /** A whole-number field, or {@code fallback} when absent. */
    public static long longField(JsonNode c, String field, long fallback, String where) {
        JsonNode v = c.get(field);
        if (v == null) {
            return fallback;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw new IllegalArgumentException(where + ": " + field + " must be a whole number, got " + v);
        }
        return v.asLong();
    }
}
