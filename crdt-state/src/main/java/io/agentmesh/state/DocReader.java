package io.agentmesh.state;

import org.automerge.AmValue;
import org.automerge.Document;
import org.automerge.MapEntry;
import org.automerge.ObjectId;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Turns the document's objects into records, defensively: every value a remote change could have given another
 * type is checked, and an entry that does not fit is skipped and reported as {@link Malformed} instead of throwing.
 * Remote changes come from enrolled nodes, but an older, newer or buggy node (or a person editing an exported file
 * with the JavaScript library) can still write a string where a map belongs.
 */
final class DocReader {
    private final Document doc;
    private final Objects ids;

    /** The genesis objects of one document. */
    record Objects(ObjectId meta, ObjectId memory, ObjectId notes, ObjectId tasks, ObjectId schedules,
                   ObjectId intents, ObjectId outcomes, ObjectId costs) {
    }

    DocReader(Document doc, Objects ids) {
        this.doc = doc;
        this.ids = ids;
    }

    // ---- memory ----

    long memoryCount() {
        return doc.length(ids.memory());
    }

    List<MemoryEntry> memory(List<Malformed> problems) {
        AmValue[] items = doc.listItems(ids.memory()).orElse(new AmValue[0]);
        List<MemoryEntry> out = new ArrayList<>(items.length);
        for (int i = 0; i < items.length; i++) {
            memoryEntry(items[i], "memory[" + i + "]", problems).ifPresent(out::add);
        }
        return out;
    }

    /** Every slot of the list in order: the entry, or null where the value is not a well-formed entry. */
    List<MemoryEntry> memorySlots() {
        AmValue[] items = doc.listItems(ids.memory()).orElse(new AmValue[0]);
        List<MemoryEntry> out = new ArrayList<>(items.length);
        List<Malformed> ignored = new ArrayList<>();
        for (int i = 0; i < items.length; i++) {
            out.add(memoryEntry(items[i], "memory[" + i + "]", ignored).orElse(null));
        }
        return out;
    }

    /** The slot at list position {@code index}: its entry, or null when it is not a well-formed entry. */
    MemoryEntry memorySlot(long index) {
        Optional<AmValue> v = doc.get(ids.memory(), (int) index);
        return v.isEmpty() ? null : memoryEntry(v.get(), "memory[" + index + "]", new ArrayList<>()).orElse(null);
    }

    List<MemoryEntry> memory(long from, int count, List<Malformed> problems) {
        long size = memoryCount();
        List<MemoryEntry> out = new ArrayList<>();
        for (long i = Math.max(0, from); i < size && out.size() < count; i++) {
            Optional<AmValue> v = doc.get(ids.memory(), (int) i);
            if (v.isEmpty()) {
                break;
            }
            memoryEntry(v.get(), "memory[" + i + "]", problems).ifPresent(out::add);
        }
        return out;
    }

    private Optional<MemoryEntry> memoryEntry(AmValue value, String path, List<Malformed> problems) {
        Fields f = fields(value, path, problems);
        if (f == null) {
            return Optional.empty();
        }
        String id = f.string("id");
        Long time = f.integer("time");
        String author = f.string("author");
        String kind = f.string("kind");
        String text = f.string("text");
        if (id == null || time == null || author == null || kind == null || text == null) {
            return f.missing();
        }
        List<String> tags = new ArrayList<>();
        AmValue tagValue = f.get("tags");
        if (tagValue instanceof AmValue.List list) {
            AmValue[] items = doc.listItems(list.getId()).orElse(new AmValue[0]);
            for (int i = 0; i < items.length; i++) {
                if (items[i] instanceof AmValue.Str s) {
                    tags.add(s.getValue());
                } else {
                    problems.add(new Malformed(path + "/tags[" + i + "]", "expected a string, found " + kind(items[i])));
                }
            }
        } else if (tagValue != null) {
            problems.add(new Malformed(path + "/tags", "expected a list, found " + kind(tagValue)));
        }
        return Optional.of(new MemoryEntry(id, time, author, kind, text, tags));
    }

    // ---- notes ----

    String notes() {
        return doc.text(ids.notes()).orElse("");
    }

    // ---- keyed maps ----

    List<Task> tasks(List<Malformed> problems) {
        List<Task> out = new ArrayList<>();
        for (Map.Entry<String, AmValue> e : sortedEntries(ids.tasks()).entrySet()) {
            task(e.getKey(), e.getValue(), problems).ifPresent(out::add);
        }
        return out;
    }

    Optional<Task> task(String id, List<Malformed> problems) {
        return doc.get(ids.tasks(), id).flatMap(v -> task(id, v, problems));
    }

    private Optional<Task> task(String key, AmValue value, List<Malformed> problems) {
        String path = "tasks/" + key;
        Fields f = fields(value, path, problems);
        if (f == null) {
            return Optional.empty();
        }
        String title = f.string("title");
        String status = f.string("status");
        Long updated = f.integer("updated");
        if (title == null || status == null || updated == null) {
            return f.missing();
        }
        Task.Status parsed;
        try {
            parsed = Task.Status.valueOf(status);
        } catch (IllegalArgumentException e) {
            problems.add(new Malformed(path + "/status", "unknown status '" + status + "'"));
            return Optional.empty();
        }
        String detail = f.has("detail") ? f.string("detail") : null;
        return Optional.of(new Task(key, title, parsed, updated, detail));
    }

    List<Schedule> schedules(List<Malformed> problems) {
        List<Schedule> out = new ArrayList<>();
        for (Map.Entry<String, AmValue> e : sortedEntries(ids.schedules()).entrySet()) {
            schedule(e.getKey(), e.getValue(), problems).ifPresent(out::add);
        }
        return out;
    }

    private Optional<Schedule> schedule(String key, AmValue value, List<Malformed> problems) {
        Fields f = fields(value, "schedules/" + key, problems);
        if (f == null) {
            return Optional.empty();
        }
        String cron = f.string("cron");
        String zone = f.string("zone");
        String intentKind = f.string("intentKind");
        String payload = f.string("payload");
        String catchUp = f.string("catchUp");
        Long created = f.integer("created");
        if (cron == null || zone == null || intentKind == null || payload == null || catchUp == null
                || created == null) {
            return f.missing();
        }
        return Optional.of(new Schedule(key, cron, zone, intentKind, payload, catchUp, created));
    }

    List<Intent> intents(List<Malformed> problems) {
        List<Intent> out = new ArrayList<>();
        for (Map.Entry<String, AmValue> e : sortedEntries(ids.intents()).entrySet()) {
            intent(e.getKey(), e.getValue(), problems).ifPresent(out::add);
        }
        return out;
    }

    Optional<Intent> intent(String id, List<Malformed> problems) {
        return doc.get(ids.intents(), id).flatMap(v -> intent(id, v, problems));
    }

    boolean hasKey(ObjectId map, String key) {
        return doc.get(map, key).isPresent();
    }

    Optional<Intent> intent(String key, AmValue value, List<Malformed> problems) {
        String path = "intents/" + key;
        Fields f = fields(value, path, problems);
        if (f == null) {
            return Optional.empty();
        }
        String kind = f.string("kind");
        String payload = f.string("payload");
        String by = f.string("requestedBy");
        Long at = f.integer("requested");
        if (kind == null || payload == null || by == null || at == null) {
            return f.missing();
        }
        // Optional: intents written before the field existed, and those no agent run requested, have none. One that
        // has a fence nobody can read is skipped, not read without it: it claims an agent run, and a fence check
        // must never take "unreadable" for "none".
        String fence = null;
        if (f.has("fence")) {
            fence = f.string("fence");
            if (fence == null) {
                return Optional.empty();
            }
            try {
                Check.fence("fence", fence);
            } catch (IllegalArgumentException e) {
                problems.add(new Malformed(path + "/fence", e.getMessage()));
                return Optional.empty();
            }
        }
        return Optional.of(new Intent(key, kind, payload, by, at, fence));
    }

    List<Outcome> outcomes(List<Malformed> problems) {
        List<Outcome> out = new ArrayList<>();
        for (Map.Entry<String, AmValue> e : sortedEntries(ids.outcomes()).entrySet()) {
            outcome(e.getKey(), e.getValue(), problems).ifPresent(out::add);
        }
        return out;
    }

    Optional<Outcome> outcome(String intentId, List<Malformed> problems) {
        return doc.get(ids.outcomes(), intentId).flatMap(v -> outcome(intentId, v, problems));
    }

    private Optional<Outcome> outcome(String key, AmValue value, List<Malformed> problems) {
        Fields f = fields(value, "outcomes/" + key, problems);
        if (f == null) {
            return Optional.empty();
        }
        String status = f.string("status");
        String result = f.string("result");
        String by = f.string("performedBy");
        Long term = f.integer("term");
        Long index = f.integer("index");
        Long completed = f.integer("completed");
        if (status == null || result == null || by == null || term == null || index == null || completed == null) {
            return f.missing();
        }
        return Optional.of(new Outcome(key, Outcome.statusAsRead(status, result), result, by, term, index,
                completed));
    }

    /** Counter name to the sum of every actor's counter (see AgentState#incrementCost). */
    Map<String, Long> costs(List<Malformed> problems) {
        Map<String, Long> totals = new TreeMap<>();
        for (Map.Entry<String, AmValue> perActor : sortedEntries(ids.costs()).entrySet()) {
            String path = "costs/" + perActor.getKey();
            if (!(perActor.getValue() instanceof AmValue.Map m)) {
                problems.add(new Malformed(path, "expected a map of counters, found " + kind(perActor.getValue())));
                continue;
            }
            for (Map.Entry<String, AmValue> counter : sortedEntries(m.getId()).entrySet()) {
                if (counter.getValue() instanceof AmValue.Counter c) {
                    totals.merge(counter.getKey(), c.getValue(), Long::sum);
                } else {
                    problems.add(new Malformed(path + "/" + counter.getKey(),
                            "expected a counter, found " + kind(counter.getValue())));
                }
            }
        }
        return totals;
    }

    // ---- helpers ----

    TreeMap<String, AmValue> sortedEntries(ObjectId map) {
        TreeMap<String, AmValue> out = new TreeMap<>();
        for (MapEntry e : doc.mapEntries(map).orElse(new MapEntry[0])) {
            out.put(e.getKey(), e.getValue());
        }
        return out;
    }

    private Fields fields(AmValue value, String path, List<Malformed> problems) {
        if (!(value instanceof AmValue.Map m)) {
            problems.add(new Malformed(path, "expected a map, found " + kind(value)));
            return null;
        }
        Map<String, AmValue> values = new TreeMap<>();
        for (MapEntry e : doc.mapEntries(m.getId()).orElse(new MapEntry[0])) {
            values.put(e.getKey(), e.getValue());
        }
        return new Fields(path, values, problems);
    }

    static String kind(AmValue v) {
        if (v == null) {
            return "nothing";
        }
        return switch (v) {
            case AmValue.Map m -> "a map";
            case AmValue.List l -> "a list";
            case AmValue.Text t -> "a text";
            case AmValue.Str s -> "a string";
            case AmValue.Int i -> "an integer";
            case AmValue.UInt u -> "an unsigned integer";
            case AmValue.F64 f -> "a float";
            case AmValue.Counter c -> "a counter";
            case AmValue.Bool b -> "a boolean";
            case AmValue.Bytes b -> "bytes";
            case AmValue.Timestamp t -> "a timestamp";
            case AmValue.Null n -> "null";
            default -> "a value of unknown type";
        };
    }

    /** Typed access to one map's fields; a wrong type is reported once and read as absent. */
    private static final class Fields {
        private final String path;
        private final Map<String, AmValue> values;
        private final List<Malformed> problems;
        private boolean reported;

        Fields(String path, Map<String, AmValue> values, List<Malformed> problems) {
            this.path = path;
            this.values = values;
            this.problems = problems;
        }

        AmValue get(String key) {
            return values.get(key);
        }

        boolean has(String key) {
            return values.containsKey(key);
        }

        String string(String key) {
            AmValue v = values.get(key);
            if (v instanceof AmValue.Str s) {
                return s.getValue();
            }
            return bad(key, v, "a string");
        }

        Long integer(String key) {
            AmValue v = values.get(key);
            if (v instanceof AmValue.Int i) {
                return i.getValue();
            }
            if (v instanceof AmValue.UInt u && u.getValue() >= 0) {
                return u.getValue();
            }
            if (v instanceof AmValue.F64 d && d.getValue() == Math.rint(d.getValue())
                    && Math.abs(d.getValue()) <= Limits.MAX_NUMBER) {
                // How AgentState stores numbers (and how JavaScript does): a whole float.
                return (long) d.getValue();
            }
            return bad(key, v, "an integer");
        }

        private <T> T bad(String key, AmValue v, String expected) {
            if (!reported) {
                reported = true;
                problems.add(new Malformed(path + "/" + key, "expected " + expected + ", found " + kind(v)));
            }
            return null;
        }

        <T> Optional<T> missing() {
            if (!reported) {
                problems.add(new Malformed(path, "a required field is missing"));
            }
            return Optional.empty();
        }
    }
}
