package io.agentmesh.node.backup.run;

import io.agentmesh.node.backup.format.AgeIdentity;
import io.agentmesh.node.backup.format.Backup;
import io.agentmesh.node.backup.format.BackupKeys;
import io.agentmesh.node.backup.format.BackupObject;
import io.agentmesh.node.backup.format.BackupPlan;
import io.agentmesh.node.backup.format.BackupReader;
import io.agentmesh.node.backup.format.BackupWriter;
import io.agentmesh.node.backup.format.IdentityMaterial;
import io.agentmesh.node.backup.format.Manifest;
import io.agentmesh.node.backup.format.ManifestRef;
import io.agentmesh.node.backup.format.ObjectName;
import io.agentmesh.node.backup.format.RecipientGrant;
import io.agentmesh.node.backup.target.BackupTarget;
import io.agentmesh.node.backup.target.BackupTargetException;
import io.agentmesh.node.backup.target.PutOutcome;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.protocol.identity.NodeCertificate;
import io.agentmesh.protocol.identity.NodeRevocation;
import io.agentmesh.protocol.identity.SigningKey;
import io.agentmesh.protocol.time.Clock;
import io.agentmesh.state.store.ChangeStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;

/**
 * Runs backups of this node's store to its targets (docs/backup.md, "Backing up"), on a thread of its own: the store's
 * reads may be called from any thread ({@link ChangeStore}), and target calls block. Each target is backed up on its
 * own: its cursor is the newest manifest it holds, a failing target fails only its own run, and the newest manifest
 * written or read there is remembered in the state directory ({@link RememberedManifests}) so a target rolled back is
 * refused rather than written over. One run at a time; a request during a run gets that run's result.
 *
 * <p>Nothing here needs clearing after a crash: the manifest goes last, objects are immutable and named by their hash,
 * and the next run puts the same names again (no-ops) before its own manifest.
 */
public final class BackupRunner implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BackupRunner.class);
    /** Reading changes from the store in pages of this many. */
    private static final int READ_PAGE = 10_000;
    private static final int MAX_MANIFEST_NAMES = 1_000_000;

    /** What one target's newest run did. */
    public record TargetReport(String target, String describe, boolean ok, long finishedAtMs, Optional<ManifestRef> manifest,
                               int objectsWritten, long bytesWritten, int objectsInBackup, long changesAdded,
                               Optional<String> error) {
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("target", target);
            m.put("where", describe);
            m.put("ok", ok);
            m.put("finishedAtMs", finishedAtMs);
            m.put("manifest", manifest.map(ManifestRef::number).orElse(null));
            m.put("manifestObject", manifest.map(ManifestRef::name).orElse(null));
            m.put("objectsWritten", objectsWritten);
            m.put("bytesWritten", bytesWritten);
            m.put("objectsInBackup", objectsInBackup);
            m.put("changesAdded", changesAdded);
            m.put("error", error.orElse(null));
            return m;
        }
    }

    /**
     * The node's keys.
     *
     * @param phrase the phrase identity, on the machine that keeps agent-root.key (an init or restored home): it opens
     *               manifests written before this node's own recipient was granted
     */
    public record Keys(SigningKey nodeKey, NodeCertificate certificate, SigningKey backupKey, java.nio.file.Path identityDir,
                       Optional<AgeIdentity> phrase) {
    }

    private final String node;
    private final Keys keys;
    private final ChangeStore store;
    private final Supplier<List<NodeCertificate>> certificates;
    private final Supplier<List<NodeRevocation>> revocations;
    private final Map<String, BackupTarget> targets;
    private final RememberedManifests remembered;
    private final Clock clock;
    private final ExecutorService thread;
    private final Map<String, TargetReport> last = new LinkedHashMap<>();
    private final Map<String, Long> lastSuccessAtMs = new LinkedHashMap<>();
    private CompletableFuture<List<TargetReport>> running;
    private volatile boolean closed;
    private Optional<String> runningOnly = Optional.empty();
    /** The run under way's progress, for the command waiting on it. */
    private volatile RunProgress progress;

    /**
     * @param certificates the agent's node certificates this node knows (its own included)
     * @param revocations  the revocations this node has verified
     * @param targets      by id, in backup.json's order
     */
    public BackupRunner(String node, Keys keys, ChangeStore store, Supplier<List<NodeCertificate>> certificates,
                        Supplier<List<NodeRevocation>> revocations, Map<String, BackupTarget> targets,
                        RememberedManifests remembered, Clock clock) {
        this.node = node;
        this.keys = keys;
        this.store = store;
        this.certificates = certificates;
        this.revocations = revocations;
        this.targets = new LinkedHashMap<>(targets);
        this.remembered = remembered;
        this.clock = clock;
        this.thread = Workers.worker("backup-" + node);
    }

    /**
     * Publishes this node's grants (its operational recipient, and the phrase grant if this machine keeps one) on
     * every target, in the background, so the leader's next backup is encrypted to this node too and this node can
     * verify it with its own key. A target that is down now gets them at this node's next run.
     */
    public void publishGrants() {
        thread.execute(() -> targets.forEach((id, target) -> {
            try {
                for (RecipientGrant g : localGrants()) {
                    BackupGrants.publish(target, g);
                }
            } catch (IOException | RuntimeException e) {
                log.info("node {} could not publish its backup grants to target {} yet: {}", node, id, e.getMessage());
            }
            observe(id, target);
        }));
    }

    /**
     * Reads the writing time of the target's newest manifest, so freshness knows the last backup a predecessor (or
     * this node before a restart) made. A target this node cannot read yet is simply not known.
     */
    private void observe(String id, BackupTarget target) {
        try {
            List<String> names = target.list("man/", MAX_MANIFEST_NAMES);
            if (names.stream().noneMatch(n -> ObjectName.parse(n).isPresent())) {
                return;
            }
            BackupReader reader = reader();
            ManifestRef ref = reader.newestManifest(names, source(target), remembered.get(id));
            byte[] bytes = target.get(ref.name()).orElseThrow(() -> new IOException(ref.name() + " vanished"));
            long at = reader.openManifest(ref.name(), bytes).createdAtMs();
            synchronized (this) {
                lastSuccessAtMs.merge(id, at, Math::max);
            }
        } catch (IOException | RuntimeException e) {
            log.info("node {} does not know the newest backup on target {} yet: {}", node, id, e.getMessage());
        }
    }

    private BackupReader reader() {
        List<AgeIdentity> identities = new ArrayList<>(List.of(BackupKeys.operationalIdentity(keys.backupKey())));
        keys.phrase().ifPresent(identities::add);
        return new BackupReader(keys.certificate().agentRootKey(), identities, revocations.get());
    }

    private static BackupReader.ObjectSource source(BackupTarget target) {
        return name -> {
            try {
                return target.get(name);
            } catch (BackupTargetException e) {
                throw new UncheckedIOException(e);
            }
        };
    }

    /** The newest successful backup to {@code target} this node knows of (its own run, or the target's newest manifest). */
    public synchronized Optional<Long> lastSuccessAtMs(String target) {
        return Optional.ofNullable(lastSuccessAtMs.get(target));
    }

    /** Whether this node's newest run to {@code target} succeeded; empty before its first run. */
    public synchronized Optional<Boolean> lastRunOk(String target) {
        return Optional.ofNullable(last.get(target)).map(TargetReport::ok);
    }

    private List<RecipientGrant> localGrants() throws IOException {
        List<RecipientGrant> local = new ArrayList<>(List.of(RecipientGrant.operational(
                keys.certificate().agentRootKey(), keys.nodeKey(), keys.backupKey())));
        BackupGrants.readPhraseGrant(keys.identityDir()).ifPresent(local::add);
        return local;
    }

    public List<String> targetIds() {
        return List.copyOf(targets.keySet());
    }

    /**
     * Backs up to {@code only} (or every target); joins a run of the same targets already under way (a run of others
     * goes first, then this one). A run cut short by {@link #close}
     * never completes its future: a shutdown is no outcome (the next leader runs a scheduled backup again).
     */
    public synchronized CompletableFuture<List<TargetReport>> run(Optional<String> only) {
        if (only.isPresent() && !targets.containsKey(only.get())) {
            throw new IllegalArgumentException("no backup target \"" + only.get() + "\" in backup.json; the targets are "
                    + targets.keySet());
        }
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("this node has no backup targets: list them in <home>/backup.json"
                    + " (docs/backup.md, \"backup.json\")");
        }
        if (running != null && !running.isDone() && runningOnly.equals(only)) {
            return running;
        }
        // A run of other targets under way: this one queues behind it on the runner's one thread.
        runningOnly = only;
        running = Workers.unlessClosed(thread, () -> closed, () -> {
            List<TargetReport> out = new ArrayList<>();
            targets.forEach((id, target) -> {
                if (only.isEmpty() || only.get().equals(id)) {
                    TargetReport r = runOne(id, target);
                    synchronized (this) {
                        last.put(id, r);
                        if (r.ok()) {
                            lastSuccessAtMs.merge(id, r.finishedAtMs(), Math::max);
                        }
                    }
                    out.add(r);
                }
            });
            return out;
        });
        return running;
    }

    /** The newest report per target (a target never backed up since this node started has none). */
    public synchronized Map<String, Object> status() {
        Map<String, Object> m = new LinkedHashMap<>();
        List<Map<String, Object>> list = new ArrayList<>();
        for (Map.Entry<String, BackupTarget> e : targets.entrySet()) {
            TargetReport r = last.get(e.getKey());
            if (r != null) {
                list.add(r.toMap());
            } else {
                Map<String, Object> t = new LinkedHashMap<>();
                t.put("target", e.getKey());
                t.put("where", e.getValue().describe());
                t.put("ok", null);
                t.put("remembered", remembered.get(e.getKey()).map(ManifestRef::number).orElse(null));
                list.add(t);
            }
        }
        m.put("targets", list);
        boolean busy = running != null && !running.isDone();
        m.put("running", busy);
        RunProgress p = progress;
        m.put("progress", busy && p != null ? p.toMap() : null);
        return m;
    }

    /** One line for /v1/status: targets, how many are ok, the newest manifest per target. */
    public synchronized Map<String, Object> summary() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("targets", targets.size());
        m.put("ok", last.values().stream().filter(TargetReport::ok).count());
        m.put("failed", last.values().stream().filter(r -> !r.ok()).count());
        Map<String, Object> newest = new LinkedHashMap<>();
        last.forEach((id, r) -> newest.put(id, r.manifest().map(ManifestRef::number).orElse(null)));
        m.put("manifests", newest);
        return m;
    }

    private TargetReport runOne(String id, BackupTarget target) {
        long t0 = clock.monotonicNanos();
        int written = 0;
        long bytes = 0;
        try {
            List<NodeRevocation> revs = revocations.get();
            List<NodeCertificate> certs = certificates.get();
            List<NodeCertificate> live = certs.stream().filter(c -> revs.stream().noneMatch(r -> r.revokes(c))).toList();
            var root = keys.certificate().agentRootKey();
            AgeIdentity ops = BackupKeys.operationalIdentity(keys.backupKey());
            List<AgeIdentity> identities = new ArrayList<>(List.of(ops));
            keys.phrase().ifPresent(identities::add);
            BackupReader reader = new BackupReader(root, identities, revs);
            BackupReader.ObjectSource source = name -> {
                try {
                    return target.get(name);
                } catch (BackupTargetException e) {
                    throw new UncheckedIOException(e);
                }
            };

            // The grants: this node's own, the phrase grant kept here, and every grant published on the target. Ours
            // go first, so that even when this node cannot open the target's newest manifest (it was written before
            // this node's recipient was granted), the next writer that can encrypts to it too.
            List<String> refused = new ArrayList<>();
            List<RecipientGrant> grants = new ArrayList<>(BackupGrants.readVerified(target, root, live, refused));
            refused.forEach(r -> log.warn("node {} backup target {}: ignored a grant that does not verify: {}", node, id, r));
            for (RecipientGrant g : localGrants()) {
                if (!grants.contains(g)) {
                    grants.add(g);
                }
                if (BackupGrants.publish(target, g) == PutOutcome.CREATED) {
                    written++;
                    bytes += g.toBytes().length;
                }
            }

            // The cursor: the newest manifest this target holds, checked against the one remembered here.
            List<String> names = target.list("man/", MAX_MANIFEST_NAMES);
            Optional<BackupWriter.Previous> previous = Optional.empty();
            if (names.stream().anyMatch(n -> ObjectName.parse(n).isPresent())) {
                ManifestRef ref = reader.newestManifest(names, source, remembered.get(id));
                byte[] manBytes = target.get(ref.name()).orElseThrow(
                        () -> new IOException("manifest " + ref.name() + " vanished while reading it"));
                previous = Optional.of(new BackupWriter.Previous(reader.openManifest(ref.name(), manBytes), ref));
            } else if (remembered.get(id).isPresent()) {
                throw new IllegalStateException("the target holds no manifest, but this node remembers manifest "
                        + remembered.get(id).get().number() + " there: it was emptied or replaced; if that is"
                        + " intended, remove " + remembered.file(id));
            }

            Optional<Manifest> prevManifest = previous.map(BackupWriter.Previous::manifest);
            List<BackupPlan.Range> plan = BackupPlan.newChanges(store.vector(), prevManifest);
            if (plan.isEmpty() && previous.isPresent()) {
                remembered.put(id, previous.get().ref());
                log.info("node {} backup target {}: up to date at manifest {}", node, id, previous.get().ref().number());
                return new TargetReport(id, target.describe(), true, clock.nowMillis(), Optional.of(previous.get().ref()),
                        written, bytes, previous.get().manifest().objects().size(), 0, Optional.empty());
            }
            List<SignedChange> changes = new ArrayList<>();
            long planned = plan.stream().mapToLong(r -> r.toSeq() - r.fromSeq() + 1).sum();
            progress = new RunProgress(id, "reading changes", 0, planned, "changes");
            for (BackupPlan.Range r : plan) {
                long from = r.fromSeq();
                while (from <= r.toSeq()) {
                    int want = (int) Math.min(READ_PAGE, r.toSeq() - from + 1);
                    List<SignedChange> page = store.read(r.actor(), from, want);
                    if (page.isEmpty()) {
                        throw new IllegalStateException("the store lost changes of actor " + r.actor() + " from seq " + from);
                    }
                    changes.addAll(page);
                    from = page.get(page.size() - 1).seq() + 1;
                    progress = new RunProgress(id, "reading changes", changes.size(), planned, "changes");
                }
            }
            Backup backup = BackupWriter.write(new BackupWriter.Request(keys.nodeKey(), keys.certificate(),
                    clock.nowMillis(), previous, changes, List.of(),
                    new IdentityMaterial(root, certs, revs), Optional.empty(), grants,
                    BackupWriter.DEFAULT_SEGMENT_BYTES));
            long toPut = backup.newObjects().stream().mapToLong(BackupObject::size).sum();
            long put = 0;
            progress = new RunProgress(id, "uploading", 0, toPut, "bytes");
            for (BackupObject o : backup.newObjects()) {
                if (target.put(o.name(), o.bytes()) == PutOutcome.CREATED) {
                    written++;
                    bytes += o.size();
                }
                put += o.size();
                progress = new RunProgress(id, "uploading", put, toPut, "bytes");
            }
            remembered.put(id, backup.ref());
            log.info("node {} backup target {}: manifest {} with {} new changes, {} objects ({} bytes) written in {} ms",
                    node, id, backup.ref().number(), changes.size(), written, bytes,
                    (clock.monotonicNanos() - t0) / 1_000_000);
            return new TargetReport(id, target.describe(), true, clock.nowMillis(), Optional.of(backup.ref()), written,
                    bytes, backup.manifest().objects().size(), changes.size(), Optional.empty());
        } catch (Exception e) {
            String why = e instanceof UncheckedIOException u ? u.getCause().getMessage() : e.getMessage();
            log.warn("node {} backup target {} failed: {}", node, id, why);
            return new TargetReport(id, target.describe(), false, clock.nowMillis(), remembered.get(id), written,
                    bytes, 0, 0, Optional.of(String.valueOf(why)));
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        thread.shutdownNow();
        targets.values().forEach(BackupTarget::close);
    }
}
