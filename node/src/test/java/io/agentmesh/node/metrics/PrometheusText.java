package io.agentmesh.node.metrics;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A strict parser of the Prometheus text exposition format 0.0.4, for tests: every line must be a HELP, TYPE, comment
 * or sample line as the format defines them; a family's TYPE comes before its samples and only once, its samples are
 * one group, no sample repeats, label values use only the format's escapes, values are Go floats, and histograms have
 * cumulative buckets ending in {@code le="+Inf"} equal to their {@code _count}. Anything else throws with the line.
 */
public final class PrometheusText {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    private static final Set<String> TYPES = Set.of("counter", "gauge", "histogram", "summary", "untyped");

    public record Sample(String name, Map<String, String> labels, double value) {
    }

    public record Family(String name, String type, String help, List<Sample> samples) {
    }

    private final Map<String, Family> families = new LinkedHashMap<>();

    private PrometheusText() {
    }

    public static PrometheusText parse(String text) {
        PrometheusText p = new PrometheusText();
        p.read(text);
        return p;
    }

    public Map<String, Family> families() {
        return families;
    }

    /** The one sample named {@code name} whose labels include {@code labels} (pairs); fails when none or several. */
    public double value(String name, String... labels) {
        List<Sample> found = samples(name, labels);
        if (found.size() != 1) {
            throw new AssertionError(found.size() + " samples " + name + " with " + List.of(labels) + ": " + found);
        }
        return found.getFirst().value();
    }

    public List<Sample> samples(String name, String... labels) {
        List<Sample> out = new ArrayList<>();
        for (Family f : families.values()) {
            for (Sample s : f.samples()) {
                if (s.name().equals(name) && matches(s.labels(), labels)) {
                    out.add(s);
                }
            }
        }
        return out;
    }

    public boolean has(String name) {
        return !samples(name).isEmpty();
    }

    private static boolean matches(Map<String, String> have, String[] want) {
        for (int i = 0; i + 1 < want.length; i += 2) {
            if (!want[i + 1].equals(have.get(want[i]))) {
                return false;
            }
        }
        return true;
    }

    private void read(String text) {
        if (!text.isEmpty() && !text.endsWith("\n")) {
            throw new IllegalArgumentException("the exposition does not end with a line feed");
        }
        Map<String, String> types = new TreeMap<>();
        Map<String, String> helps = new TreeMap<>();
        Set<String> closed = new HashSet<>();
        Set<String> seen = new HashSet<>();
        String current = null;
        int lineNo = 0;
        for (String line : text.split("\n", -1)) {
            lineNo++;
            if (line.isEmpty()) {
                continue;
            }
            String where = "line " + lineNo + " '" + line + "': ";
            if (line.startsWith("#")) {
                String[] parts = line.split(" ", 4);
                if (parts.length >= 3 && (parts[1].equals("HELP") || parts[1].equals("TYPE"))) {
                    String name = parts[2];
                    require(NAME.matcher(name).matches(), where + "bad metric name");
                    if (parts[1].equals("TYPE")) {
                        require(parts.length == 4 && TYPES.contains(parts[3]), where + "unknown type");
                        require(!types.containsKey(name), where + "a second TYPE for " + name);
                        require(!families.containsKey(name), where + "TYPE after the samples of " + name);
                        types.put(name, parts[3]);
                    } else {
                        require(!helps.containsKey(name), where + "a second HELP for " + name);
                        String help = parts.length == 4 ? parts[3] : "";
                        checkEscapes(help, false, where);
                        helps.put(name, help);
                    }
                }
                continue;
            }
            Sample s = sample(line, where);
            String family = familyOf(s.name(), types);
            if (!family.equals(current)) {
                require(!closed.contains(family), where + "the samples of " + family + " are not one group");
                if (current != null) {
                    closed.add(current);
                }
                current = family;
            }
            require(seen.add(s.name() + s.labels()), where + "a repeated sample");
            String type = types.getOrDefault(family, "untyped");
            families.computeIfAbsent(family, f -> new Family(f, type, helps.getOrDefault(f, ""), new ArrayList<>()))
                    .samples().add(s);
        }
        families.values().stream().filter(f -> f.type().equals("histogram")).forEach(PrometheusText::checkHistogram);
    }

    /** The family a sample belongs to: its TYPE'd name, or that name less a histogram/summary suffix. */
    private static String familyOf(String name, Map<String, String> types) {
        for (String suffix : new String[]{"_bucket", "_sum", "_count"}) {
            if (name.endsWith(suffix)) {
                String base = name.substring(0, name.length() - suffix.length());
                String t = types.get(base);
                if ("histogram".equals(t) || ("summary".equals(t) && !suffix.equals("_bucket"))) {
                    return base;
                }
            }
        }
        return name;
    }

    private static Sample sample(String line, String where) {
        int i = 0;
        while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
            i++;
        }
        String name = line.substring(0, i);
        require(NAME.matcher(name).matches(), where + "bad metric name");
        Map<String, String> labels = new LinkedHashMap<>();
        if (i < line.length() && line.charAt(i) == '{') {
            i++;
            while (true) {
                require(i < line.length(), where + "unterminated labels");
                if (line.charAt(i) == '}') {
                    i++;
                    break;
                }
                int eq = line.indexOf('=', i);
                require(eq > i, where + "a label without '='");
                String label = line.substring(i, eq);
                require(LABEL.matcher(label).matches(), where + "bad label name " + label);
                require(eq + 1 < line.length() && line.charAt(eq + 1) == '"', where + "an unquoted label value");
                StringBuilder v = new StringBuilder();
                int j = eq + 2;
                while (true) {
                    require(j < line.length(), where + "an unterminated label value");
                    char c = line.charAt(j);
                    if (c == '\\') {
                        require(j + 1 < line.length(), where + "a dangling escape");
                        char e = line.charAt(j + 1);
                        require(e == '\\' || e == '"' || e == 'n', where + "an escape the format does not have");
                        v.append(e == 'n' ? '\n' : e);
                        j += 2;
                    } else if (c == '"') {
                        j++;
                        break;
                    } else {
                        v.append(c);
                        j++;
                    }
                }
                require(labels.put(label, v.toString()) == null, where + "a repeated label " + label);
                i = j;
                if (i < line.length() && line.charAt(i) == ',') {
                    i++;
                }
            }
        }
        require(i < line.length() && line.charAt(i) == ' ', where + "no space before the value");
        String[] rest = line.substring(i + 1).split(" ");
        require(rest.length == 1 || rest.length == 2, where + "expected a value and an optional timestamp");
        double value = number(rest[0], where);
        if (rest.length == 2) {
            try {
                Long.parseLong(rest[1]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(where + "the timestamp is not an integer");
            }
        }
        return new Sample(name, labels, value);
    }

    private static double number(String s, String where) {
        switch (s) {
            case "NaN":
                return Double.NaN;
            case "+Inf":
                return Double.POSITIVE_INFINITY;
            case "-Inf":
                return Double.NEGATIVE_INFINITY;
            default:
                require(s.matches("[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?"), where + "not a number: " + s);
                return Double.parseDouble(s);
        }
    }

    private static void checkEscapes(String s, boolean quotes, String where) {
        for (int j = 0; j < s.length(); j++) {
            if (s.charAt(j) == '\\') {
                require(j + 1 < s.length() && (s.charAt(j + 1) == '\\' || s.charAt(j + 1) == 'n'
                        || (quotes && s.charAt(j + 1) == '"')), where + "an escape the format does not have");
                j++;
            }
        }
    }

    private static void checkHistogram(Family f) {
        Map<Map<String, String>, List<Sample>> series = new LinkedHashMap<>();
        Map<Map<String, String>, Double> counts = new LinkedHashMap<>();
        for (Sample s : f.samples()) {
            Map<String, String> rest = new TreeMap<>(s.labels());
            if (s.name().endsWith("_bucket")) {
                require(rest.remove("le") != null, "histogram " + f.name() + ": a bucket without le");
                series.computeIfAbsent(rest, k -> new ArrayList<>()).add(s);
            } else if (s.name().endsWith("_count")) {
                counts.put(rest, s.value());
            }
        }
        series.forEach((labels, buckets) -> {
            double previousLe = Double.NEGATIVE_INFINITY;
            double previous = 0;
            for (Sample b : buckets) {
                double le = number(b.labels().get("le"), "histogram " + f.name() + ": ");
                require(le > previousLe, "histogram " + f.name() + ": buckets not in increasing le");
                require(b.value() >= previous, "histogram " + f.name() + ": buckets not cumulative");
                previousLe = le;
                previous = b.value();
            }
            require(previousLe == Double.POSITIVE_INFINITY, "histogram " + f.name() + ": no le=\"+Inf\" bucket");
            require(counts.containsKey(labels) && counts.get(labels) == previous,
                    "histogram " + f.name() + labels + ": the +Inf bucket differs from _count");
        });
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
