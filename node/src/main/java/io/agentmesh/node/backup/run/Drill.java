package io.agentmesh.node.backup.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentmesh.node.backup.format.BackupFormatException;
import io.agentmesh.node.backup.format.BackupKeys;
import io.agentmesh.node.backup.format.BackupReader;
import io.agentmesh.node.backup.format.Manifest;
import io.agentmesh.node.backup.format.ManifestRef;
import io.agentmesh.node.backup.target.BackupTarget;
import io.agentmesh.node.backup.target.BackupTargetException;
import io.agentmesh.node.core.Recovery;
import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeRevocation;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.protocol.identity.VerifyingKey;
import io.agentmesh.protocol.time.Clock;
import io.agentmesh.state.AgentState;
import io.agentmesh.state.automerge.ChangeHeader;
import io.agentmesh.state.store.ChangeStore;
import io.agentmesh.state.store.SqliteChangeStore;
import io.agentmesh.state.store.VersionVector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The restore drill (docs/backup.md, "The drill"): restores a target's newest backup with this node's operational
 * backup key (no phrase) into a scratch directory, through the same {@link BackupReader} a restore uses, loads it
 * there without network or executors (the changes go into a scratch SQLite store, which {@link Recovery} replays into
 * an {@link AgentState}, as a starting node does), compares it with the live store, and returns a report signed by
 * the node key. The scratch directory is deleted afterwards, whatever happened.
 *
 * <p>Without a chosen target, the targets are tried in backup.json's order until one restores: a damaged target is
 * reported (and fails the drill) but does not stop the drill from measuring a restore from another.
 */
public final class Drill implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Drill.class);
    /** Signatures are over this, a newline, then the report object's compact JSON exactly as written in the file. */
    static final String SIGNATURE_DOMAIN = "agentmesh/drill-report/v1";
    public static final String DRILLS_DIR = "drills";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_MANIFEST_NAMES = 1_000_000;
    private static final int APPEND_BATCH = 1000;
    private static final DateTimeFormatter UTC_NAME = DateTimeFormatter.ofPattern("yyyyMMdd't'HHmmss.SSS'z'")
            .withZone(ZoneOffset.UTC);

    private final String node;
    private final BackupRunner.Keys keys;
    private final ChangeStore live;
    private final Supplier<List<NodeCertificate>> certificates;
    private final Supplier<List<NodeRevocation>> revocations;
    private final Map<String, BackupTarget> targets;
    private final RememberedManifests remembered;
    private final Path stateDir;
    private final Clock clock;
    private final java.util.concurrent.ExecutorService thread;
    /** The newest report's summary per target, from {@code <state>/drills/} at start, then from each run. */
    private final Map<String, JsonNode> last;
    private CompletableFuture<ObjectNode> running;
    private volatile boolean closed;
    private Optional<String> runningOnly = Optional.empty();
    /** The drill under way's progress, for the command waiting on it. */
    private volatile RunProgress progress;

    public Drill(String node, BackupRunner.Keys keys, ChangeStore live, Supplier<List<NodeCertificate>> certificates,
                 Supplier<List<NodeRevocation>> revocations, Map<String, BackupTarget> targets,
                 RememberedManifests remembered, Path stateDir, Clock clock) {
        this.node = node;
        this.keys = keys;
        this.live = live;
        this.certificates = certificates;
        this.revocations = revocations;
        this.targets = new LinkedHashMap<>(targets);
        this.remembered = remembered;
        this.stateDir = stateDir;
        this.clock = clock;
        this.thread = Workers.worker("drill-" + node);
        // A drill cut short by a stop left its scratch directory; no drill runs yet, so any there is stale.
        try (Stream<Path> s = Files.isDirectory(stateDir.resolve(DRILLS_DIR))
                ? Files.list(stateDir.resolve(DRILLS_DIR)) : Stream.empty()) {
            s.filter(p -> p.getFileName().toString().startsWith("scratch-") && Files.isDirectory(p))
                    .toList().forEach(Drill::deleteTree);
        } catch (IOException e) {
            log.warn("node {} could not clear old drill scratch directories: {}", node, e.getMessage());
        }
        Map<String, JsonNode> found;
        try {
            found = lastPerTarget(stateDir);
        } catch (IOException e) {
            log.warn("node {} could not read its earlier drill reports in {}: {}", node, stateDir.resolve(DRILLS_DIR),
                    e.getMessage());
            found = new LinkedHashMap<>();
        }
        this.last = new LinkedHashMap<>(found);
    }

    /**
     * Runs the drill on its own thread; a drill of the same targets already under way is joined, not doubled (one of
     * others goes first, then this one). A drill cut short by {@link
     * #close} never completes its future (a shutdown is no outcome).
     */
    public synchronized CompletableFuture<ObjectNode> start(Optional<String> only) {
        if (only.isPresent() && !targets.containsKey(only.get())) {
            throw new IllegalArgumentException("no backup target \"" + only.get() + "\" in backup.json; the targets are "
                    + targets.keySet());
        }
        if (running != null && !running.isDone() && runningOnly.equals(only)) {
            return running;
        }
        // A drill of other targets under way: this one queues behind it on the drill's one thread.
        runningOnly = only;
        running = Workers.unlessClosed(thread, () -> closed, () -> run(only));
        return running;
    }

    /**
     * In the background: reads the newest drill report on each target and takes it as that target's last drill when
     * it is newer than this node's own and signed by a node this agent certifies (so a new leader knows its
     * predecessor's drills). A report that does not verify is ignored with a log line.
     */
    public void observeTargets() {
        thread.execute(() -> targets.forEach((id, target) -> {
            try {
                List<String> names = target.list("drill/", MAX_MANIFEST_NAMES);
                if (names.isEmpty()) {
                    return;
                }
                String newest = names.getLast();
                Optional<byte[]> bytes = target.get(newest);
                if (bytes.isEmpty()) {
                    return;
                }
                JsonNode signed = JSON.readTree(bytes.get());
                String key = signed.path("signature").path("publicKey").asText();
                Optional<NodeCertificate> signer = certificates.get().stream()
                        .filter(c -> c.nodeKey().hex().equals(key)).findFirst();
                if (signer.isEmpty() || !signatureValid(signed, signer.get().nodeKey())) {
                    log.warn("node {} ignores drill report {} on target {}: not signed by a node of this agent", node,
                            newest, id);
                    return;
                }
                for (JsonNode a : signed.path("report").path("attempts")) {
                    if (a.path("target").asText().equals(id)) {
                        JsonNode s = summary(signed.path("report"), a);
                        synchronized (this) {
                            JsonNode mine = last.get(id);
                            if (mine == null || mine.path("atMs").asLong() < s.path("atMs").asLong()) {
                                last.put(id, s);
                            }
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                log.info("node {} could not read the newest drill report on target {}: {}", node, id, e.getMessage());
            }
        }));
    }

    /** The drill under way's progress; empty when none runs. */
    public synchronized Optional<RunProgress> progress() {
        return running != null && !running.isDone() ? Optional.ofNullable(progress) : Optional.empty();
    }

    public List<String> targetIds() {
        return List.copyOf(targets.keySet());
    }

    /**
     * Per target: the newest drill's summary and a state: "ok", "failed", "missing" (scheduled, and no drill within
     * twice the period, or none at all) or "none" (never drilled, and no schedule).
     *
     * @param periodMs per target, the drill schedule's period (the schedules in the state); absent: on request only
     */
    public synchronized Map<String, Object> status(Map<String, Long> periodMs) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String id : targets.keySet()) {
            Map<String, Object> t = new LinkedHashMap<>();
            JsonNode s = last.get(id);
            t.put("state", state(id, periodMs.get(id)));
            t.put("everyMs", periodMs.get(id));
            if (s != null) {
                t.put("last", s);
            }
            out.put(id, t);
        }
        return out;
    }

    /** The newest drill's summary of {@code target} (time "atMs", "ok", ...), if this node knows one. */
    public synchronized Optional<JsonNode> last(String target) {
        return Optional.ofNullable(last.get(target));
    }

    private String state(String id, Long periodMs) {
        JsonNode s = last.get(id);
        boolean scheduled = periodMs != null && periodMs > 0;
        if (s == null) {
            return scheduled ? "missing" : "none";
        }
        if (!s.path("ok").asBoolean()) {
            return "failed";
        }
        if (scheduled && clock.nowMillis() - s.path("atMs").asLong() > 2 * periodMs) {
            return "missing";
        }
        return "ok";
    }

    @Override
    public synchronized void close() {
        closed = true;
        thread.shutdownNow();
    }

    /**
     * Runs the drill on the calling thread (it blocks on targets and disk: never the node thread), records the signed
     * report in {@code <state>/drills/} and on every target tried, and returns it.
     */
    public ObjectNode run(Optional<String> only) {
        if (only.isPresent() && !targets.containsKey(only.get())) {
            throw new IllegalArgumentException("no backup target \"" + only.get() + "\" in backup.json; the targets are "
                    + targets.keySet());
        }
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("this node has no backup targets: list them in <home>/backup.json");
        }
        long startedAtMs = clock.nowMillis();
        ObjectNode report = JSON.createObjectNode();
        report.put("kind", "agentmesh-drill-report");
        report.put("version", 1);
        report.put("node", keys.certificate().nodeId().toString());
        report.put("agent", keys.certificate().agentId().toString());
        report.put("startedAtMs", startedAtMs);
        report.put("startedAt", Instant.ofEpochMilli(startedAtMs).toString());
        ArrayNode attempts = report.putArray("attempts");
        boolean allOk = true;
        String restoredFrom = null;
        for (Map.Entry<String, BackupTarget> t : targets.entrySet()) {
            if (only.isPresent() && !only.get().equals(t.getKey())) {
                continue;
            }
            ObjectNode a = attempt(t.getKey(), t.getValue());
            attempts.add(a);
            if (a.path("ok").asBoolean()) {
                restoredFrom = t.getKey();
                break;
            }
            allOk = false;
            log.warn("node {} drill on target {} failed: {}", node, t.getKey(), a.path("error").asText());
        }
        report.put("ok", allOk && restoredFrom != null);
        report.put("restoredFrom", restoredFrom);
        report.put("finishedAtMs", clock.nowMillis());
        ObjectNode signed = sign(report, keys.nodeKey());
        record(signed, startedAtMs, attempts);
        synchronized (this) {
            for (JsonNode a : attempts) {
                last.put(a.path("target").asText(), summary(report, a));
            }
        }
        return signed;
    }

    private ObjectNode attempt(String id, BackupTarget target) {
        ObjectNode a = JSON.createObjectNode();
        a.put("target", id);
        a.put("where", target.describe());
        long[] fetchNanos = {0};
        Map<String, byte[]> fetched = new HashMap<>();
        BackupReader.ObjectSource source = name -> {
            byte[] have = fetched.get(name);
            if (have != null) {
                return Optional.of(have);
            }
            long t0 = clock.monotonicNanos();
            try {
                Optional<byte[]> got = target.get(name);
                got.ifPresent(b -> fetched.put(name, b));
                return got;
            } catch (BackupTargetException e) {
                throw new UncheckedIOException(e);
            } finally {
                fetchNanos[0] += clock.monotonicNanos() - t0;
            }
        };
        BackupReader.DecryptTiming decrypt = new BackupReader.DecryptTiming(clock::monotonicNanos);
        Path scratch = null;
        try {
            List<NodeRevocation> revs = revocations.get();
            BackupReader reader = new BackupReader(keys.certificate().agentRootKey(),
                    List.of(BackupKeys.operationalIdentity(keys.backupKey())), revs, decrypt);
            long t0 = clock.monotonicNanos();
            List<String> names = target.list("man/", MAX_MANIFEST_NAMES);
            fetchNanos[0] += clock.monotonicNanos() - t0;
            ManifestRef ref = reader.newestManifest(names, source, remembered.get(id));
            // Fetch everything the manifest names first, so the fetch phase is the target's time alone.
            Manifest head = reader.openManifest(ref.name(), source.get(ref.name()).orElseThrow(() ->
                    new BackupFormatException(BackupFormatException.Problem.MISSING, ref.name(), "vanished")));
            long toFetch = head.objects().stream().mapToLong(Manifest.Entry::sizeBytes).sum();
            long fetchedBytes = 0;
            progress = new RunProgress(id, "fetching", 0, toFetch, "bytes");
            for (Manifest.Entry e : head.objects()) {
                source.get(e.name());
                fetchedBytes += e.sizeBytes();
                progress = new RunProgress(id, "fetching", fetchedBytes, toFetch, "bytes");
            }
            progress = new RunProgress(id, "verifying", 0, 0, "objects");
            BackupReader.RestoreSet set = reader.verify(ref, source);
            long readNanos = clock.monotonicNanos() - t0;
            long verifyNanos = readNanos - fetchNanos[0] - decrypt.totalNanos();
            a.put("manifest", ref.number());
            a.put("manifestObject", ref.name());
            a.put("manifestWrittenAtMs", set.manifest().createdAtMs());
            a.put("objects", set.manifest().objects().size());
            a.put("bytesFetched", fetched.values().stream().mapToLong(b -> b.length).sum());
            a.put("changes", set.changes().size());

            long tr = clock.monotonicNanos();
            scratch = Files.createDirectories(stateDir.resolve(DRILLS_DIR)).resolve("scratch-" + clock.nowMillis());
            Files.createDirectories(scratch);
            ObjectNode loaded = replay(id, scratch, set);
            long replayNanos = clock.monotonicNanos() - tr;

            ObjectNode times = a.putObject("recoveryMs");
            times.put("fetch", fetchNanos[0] / 1_000_000);
            times.put("decrypt", decrypt.totalNanos() / 1_000_000);
            times.put("verify", Math.max(0, verifyNanos) / 1_000_000);
            times.put("replay", replayNanos / 1_000_000);
            times.put("total", (readNanos + replayNanos) / 1_000_000);
            a.set("loaded", loaded);

            List<String> problems = new ArrayList<>();
            TreeSet<String> loadedHeads = new TreeSet<>();
            loaded.path("heads").forEach(h -> loadedHeads.add(h.asText()));
            // The document's heads must be the tips of the restored change graph (every change loaded), and the
            // manifest's heads where its writer recorded them.
            Tips graph = tips(set.changes());
            TreeSet<String> tips = graph.hashes();
            a.put("headsMatchChanges", tips.equals(loadedHeads));
            if (!tips.equals(loadedHeads)) {
                problems.add("the restored document's heads " + loadedHeads + " are not the tips of the restored"
                        + " changes " + tips);
            }
            TreeSet<String> manifestHeads = new TreeSet<>();
            set.manifest().heads().forEach(h -> manifestHeads.add(h.hex()));
            if (manifestHeads.isEmpty()) {
                a.putNull("headsMatchManifest"); // this writer records no heads in its manifests
            } else {
                a.put("headsMatchManifest", manifestHeads.equals(loadedHeads));
                if (!manifestHeads.equals(loadedHeads)) {
                    problems.add("the restored document's heads " + loadedHeads + " are not the manifest's "
                            + manifestHeads);
                }
            }
            a.set("lostWrites", lostWrites(set.manifest().versionVector(), live.vector(), set, graph.newestTimeMs()));
            a.set("identity", identity(set, revs, problems));
            a.put("ok", problems.isEmpty());
            if (!problems.isEmpty()) {
                a.put("error", String.join("; ", problems));
            }
            log.info("node {} drill on target {}: manifest {}, {} changes, fetch {} ms, decrypt {} ms, verify {} ms,"
                            + " replay {} ms, {}", node, id, ref.number(), set.changes().size(), times.get("fetch"),
                    times.get("decrypt"), times.get("verify"), times.get("replay"),
                    problems.isEmpty() ? "ok" : String.join("; ", problems));
            return a;
        } catch (BackupFormatException e) {
            a.put("ok", false);
            a.put("problem", e.problem().name());
            a.put("object", e.objectName());
            a.put("error", e.getMessage());
            return a;
        } catch (IOException | RuntimeException e) {
            String why = e instanceof UncheckedIOException u ? u.getCause().getMessage() : String.valueOf(e.getMessage());
            a.put("ok", false);
            a.put("error", why);
            return a;
        } finally {
            if (scratch != null) {
                deleteTree(scratch);
            }
        }
    }

    /**
     * Loads the restored changes as a starting node would: into a SQLite store, then {@link Recovery} replays that
     * store into an AgentState. No network, no executors: only the document is built and read.
     */
    private ObjectNode replay(String id, Path scratch, BackupReader.RestoreSet set) throws IOException {
        ObjectNode loaded = JSON.createObjectNode();
        try (SqliteChangeStore store = SqliteChangeStore.open(scratch.resolve("changes.db"))) {
            List<CompletableFuture<Void>> pending = new ArrayList<>();
            long appended = 0;
            progress = new RunProgress(id, "replaying", 0, set.changes().size(), "changes");
            for (SignedChange c : set.changes()) {
                pending.add(store.append(c));
                if (pending.size() == APPEND_BATCH) {
                    CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).join();
                    pending.clear();
                    appended += APPEND_BATCH;
                    progress = new RunProgress(id, "replaying", appended, set.changes().size(), "changes");
                }
            }
            CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).join();
            // A throwaway actor: the drill writes nothing, it only needs a document to read.
            ActorId reader = ActorId.derive(keys.nodeKey().verifyingKey().bytes(), Long.MAX_VALUE);
            Recovery.Result r = Recovery.recover(keys.certificate().agentId().bytes(), reader, store);
            try (AgentState state = r.state()) {
                loaded.put("what", "a scratch SQLite store with every restored change, replayed into an AgentState"
                        + " (the document a node serves); no network, no executors");
                loaded.put("replayedChanges", r.replayedChanges());
                loaded.put("memoryEntries", state.memoryCount());
                loaded.put("tasks", state.tasks().size());
                loaded.put("intents", state.intents().size());
                loaded.put("workspaceFiles", state.workspaceFiles().size());
                loaded.put("notesChars", state.notes().length());
                ArrayNode heads = loaded.putArray("heads");
                state.heads().forEach(heads::add);
            }
        } catch (CompletionException e) {
            throw new IOException("the scratch store refused a restored change: " + e.getCause().getMessage(), e);
        }
        return loaded;
    }

    /** The restored change graph's tips, and the newest time a change records (0: none records one). */
    private record Tips(TreeSet<String> hashes, long newestTimeMs) {
    }

    /**
     * The hashes of the changes (the agent's genesis changes included) on which no other change depends, and the
     * newest change time, from one parse of each change's header.
     */
    private Tips tips(List<SignedChange> changes) {
        io.agentmesh.state.Genesis g = io.agentmesh.state.Genesis.of(keys.certificate().agentId().bytes());
        List<byte[]> all = new ArrayList<>(List.of(g.change(), g.workspaceChange()));
        changes.forEach(c -> all.add(c.bytes()));
        HexFormat hex = HexFormat.of();
        TreeSet<String> tips = new TreeSet<>();
        java.util.Set<String> deps = new java.util.HashSet<>();
        long newestTimeMs = 0;
        for (int i = 0; i < all.size(); i++) {
            ChangeHeader h = ChangeHeader.parse(all.get(i));
            tips.add(hex.formatHex(h.hash()));
            h.deps().forEach(d -> deps.add(hex.formatHex(d)));
            if (i >= 2) { // the genesis changes are not restored changes
                newestTimeMs = Math.max(newestTimeMs, h.timeMillis());
            }
        }
        tips.removeAll(deps);
        return new Tips(tips, newestTimeMs);
    }

    /**
     * Writes lost by a restore from this backup: per actor, the seqs the live store holds beyond the backup's version
     * vector; and how old the backup is. Automerge changes made through the Java API record no time, so the age of the
     * newest restored change is bounded by the manifest's: it is at least {@code manifestAgeMs}.
     */
    private ObjectNode lostWrites(VersionVector restored, VersionVector liveVector, BackupReader.RestoreSet set,
                                  long newestTime) {
        ObjectNode lost = JSON.createObjectNode();
        ArrayNode ranges = lost.putArray("ranges");
        long total = 0;
        for (Map.Entry<ActorId, Long> e : new java.util.TreeMap<>(liveVector.seqs()).entrySet()) {
            long have = restored.get(e.getKey());
            if (e.getValue() > have) {
                ranges.addObject().put("actor", e.getKey().hex()).put("fromSeq", have + 1).put("toSeq", e.getValue());
                total += e.getValue() - have;
            }
        }
        lost.put("changes", total);
        ArrayNode ahead = lost.putArray("backupAheadOfLive");
        restored.seqs().forEach((actor, seq) -> {
            if (seq > liveVector.get(actor)) {
                ahead.addObject().put("actor", actor.hex()).put("fromSeq", liveVector.get(actor) + 1).put("toSeq", seq);
            }
        });
        if (newestTime > 0) {
            lost.put("newestRestoredChangeAtMs", newestTime);
            lost.put("newestRestoredChangeAgeMs", clock.nowMillis() - newestTime);
        } else {
            lost.putNull("newestRestoredChangeAtMs");
        }
        lost.put("manifestAgeMs", clock.nowMillis() - set.manifest().createdAtMs());
        return lost;
    }

    /** Whether the restored agent is this one: agent id and root key, the writer's chain, this node's certificate. */
    private ObjectNode identity(BackupReader.RestoreSet set, List<NodeRevocation> liveRevocations,
                                List<String> problems) {
        ObjectNode id = JSON.createObjectNode();
        VerifyingKey root = keys.certificate().agentRootKey();
        boolean sameRoot = set.identity().agentRootKey().equals(root);
        id.put("agent", set.manifest().writer().agentId().toString());
        id.put("rootKey", set.identity().agentRootKey().hex());
        id.put("sameAgentAndRootKey", sameRoot);
        NodeCertificate writer = set.manifest().writer();
        // The reader has checked the writer's certificate against the root at the manifest's time and the manifest's
        // signature; here: is the writer still a member as this node sees it now?
        boolean writerRevoked = liveRevocations.stream().anyMatch(r -> r.revokes(writer));
        boolean writerKnown = certificates.get().stream().anyMatch(c -> c.nodeKey().equals(writer.nodeKey()));
        id.put("manifestWriter", writer.nodeId().toString());
        id.put("writerCertificateChainsToRoot", true);
        id.put("writerKnownToThisNode", writerKnown);
        id.put("writerRevokedSince", writerRevoked);
        boolean selfInBackup = set.identity().certificates().stream()
                .anyMatch(c -> c.nodeKey().equals(keys.certificate().nodeKey()));
        id.put("thisNodeCertifiedInBackup", selfInBackup);
        id.put("certificatesInBackup", set.identity().certificates().size());
        id.put("revocationsInBackup", set.identity().revocations().size());
        if (!sameRoot) {
            problems.add("the backup's root key " + set.identity().agentRootKey().hex() + " is not this agent's");
        }
        if (writerRevoked) {
            problems.add("the manifest's writer " + writer.nodeId() + " has been revoked since");
        }
        return id;
    }

    /** {"report": ..., "signature": {...}}: Ed25519 by the node key over the domain, a newline and the report's JSON. */
    static ObjectNode sign(ObjectNode report, SigningKey key) {
        byte[] message = signedBytes(report);
        ObjectNode out = JSON.createObjectNode();
        out.set("report", report);
        ObjectNode sig = out.putObject("signature");
        sig.put("algorithm", "ed25519");
        sig.put("domain", SIGNATURE_DOMAIN);
        sig.put("publicKey", key.verifyingKey().hex());
        sig.put("value", HexFormat.of().formatHex(key.sign(message)));
        return out;
    }

    /** True when {@code signed} is a report signed by {@code key}. */
    public static boolean signatureValid(JsonNode signed, VerifyingKey key) {
        JsonNode report = signed.path("report");
        String value = signed.path("signature").path("value").asText("");
        if (!report.isObject() || value.length() != 128) {
            return false;
        }
        try {
            return key.verify(signedBytes(report), HexFormat.of().parseHex(value));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static byte[] signedBytes(JsonNode report) {
        try {
            byte[] body = JSON.writeValueAsBytes(report);
            byte[] domain = (SIGNATURE_DOMAIN + "\n").getBytes(StandardCharsets.UTF_8);
            byte[] m = new byte[domain.length + body.length];
            System.arraycopy(domain, 0, m, 0, domain.length);
            System.arraycopy(body, 0, m, domain.length, body.length);
            return m;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The object name of a report: {@code drill/<utc>.json}, valid under the object-name rules. */
    public static String objectName(long atMs) {
        return "drill/" + UTC_NAME.format(Instant.ofEpochMilli(atMs)) + ".json";
    }

    private void record(ObjectNode signed, long atMs, ArrayNode attempts) {
        byte[] bytes;
        try {
            bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(signed);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String name = objectName(atMs);
        try {
            Path dir = Files.createDirectories(stateDir.resolve(DRILLS_DIR));
            Files.write(dir.resolve(name.substring("drill/".length())), bytes);
        } catch (IOException e) {
            log.warn("node {} could not record its drill report in {}: {}", node, stateDir.resolve(DRILLS_DIR),
                    e.getMessage());
        }
        for (JsonNode a : attempts) {
            String id = a.path("target").asText();
            try {
                targets.get(id).put(name, bytes);
            } catch (IOException | RuntimeException e) {
                log.warn("node {} could not put its drill report {} on target {}: {}", node, name, id, e.getMessage());
            }
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            log.warn("could not delete the drill's scratch directory {}: {}", dir, e.getMessage());
        }
    }

    /** The last report per target among {@code <state>/drills/*.json}, newest first by name. */
    public static Map<String, JsonNode> lastPerTarget(Path stateDir) throws IOException {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        Path dir = stateDir.resolve(DRILLS_DIR);
        if (!Files.isDirectory(dir)) {
            return out;
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".json"))
                    .sorted(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed()).toList();
        }
        for (Path f : files) {
            JsonNode signed;
            try {
                signed = JSON.readTree(f.toFile());
            } catch (IOException e) {
                continue; // a report cut short by a crash: the next drill writes a new one
            }
            for (JsonNode a : signed.path("report").path("attempts")) {
                out.putIfAbsent(a.path("target").asText(), summary(signed.path("report"), a));
            }
        }
        return out;
    }

    private static JsonNode summary(JsonNode report, JsonNode attempt) {
        ObjectNode s = JSON.createObjectNode();
        s.put("atMs", report.path("startedAtMs").asLong());
        s.put("ok", attempt.path("ok").asBoolean());
        if (attempt.has("manifest")) {
            s.put("manifest", attempt.path("manifest").asLong());
        }
        if (attempt.has("recoveryMs")) {
            s.put("recoveryMs", attempt.path("recoveryMs").path("total").asLong());
            s.put("lostChanges", attempt.path("lostWrites").path("changes").asLong());
        }
        if (attempt.has("error")) {
            s.put("error", attempt.path("error").asText());
        }
        return s;
    }
}
