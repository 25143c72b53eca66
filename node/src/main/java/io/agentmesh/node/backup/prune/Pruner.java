package io.agentmesh.node.backup.prune;

import io.agentmesh.node.backup.format.BackupReader;
import io.agentmesh.node.backup.format.Manifest;
import io.agentmesh.node.backup.format.ManifestRef;
import io.agentmesh.node.backup.format.ObjectName;
import io.agentmesh.node.backup.target.BackupTarget;
import io.agentmesh.node.backup.target.BackupTargetException;
import io.agentmesh.node.backup.target.ObjectConflictException;
import io.agentmesh.protocol.time.Clock;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Deletes a target's backups outside a {@link RetentionPolicy} (docs/backup.md, "Pruning"): first the manifests the
 * policy drops, then the objects those manifests named that no kept manifest names. A manifest names every object it
 * needs, so any kept manifest still restores.
 *
 * <p>Two rules keep a backup that runs meanwhile whole. Only objects named by a deleted manifest are ever deleted: an
 * object no manifest names may belong to a backup still writing (its manifest goes last), so it stays. And just before
 * deleting objects, {@code man/} is listed again, and every manifest that appeared since is opened and its objects
 * kept too.
 *
 * <p>Two prunes never run at once on a target: a lease object ({@value #LEASE}) with an expiry is put if absent
 * before anything is deleted and removed at the end. A prune killed midway leaves its lease, which the next prune
 * takes over once it has expired: no human step. A prune stops (deleting nothing more) when its own lease is about to
 * run out.
 */
public final class Pruner {
    /** The lease object's name. */
    public static final String LEASE = "lock/prune.lease";
    public static final long DEFAULT_LEASE_MS = 60 * 60 * 1000L;
    private static final int MAX_MANIFEST_NAMES = 1_000_000;
    private static final String LEASE_HEADER = "agentmesh-prune-lease v1";

    /** The grace an object no manifest names gets by default before prune deletes it: a day. */
    public static final long DEFAULT_ORPHAN_GRACE_MS = 24 * 60 * 60 * 1000L;

    /**
     * What a prune did (or, dry, would do).
     *
     * @param deletedOrphans   objects no manifest named, older than the grace (a killed backup's)
     * @param unreferencedLeft objects no manifest names that were left alone (younger than the grace, or no grace)
     */
    public record Report(List<ManifestRef> kept, List<ManifestRef> deletedManifests, List<String> deletedObjects,
                         long deletedBytes, List<String> deletedOrphans, int unreferencedLeft) {
    }

    /** A lease as stored: who holds it and until when. */
    public record Lease(String holder, long startedAtMs, long expiresAtMs) {
        byte[] toBytes() {
            return (LEASE_HEADER + "\nholder=" + holder + "\nstartedAtMs=" + startedAtMs + "\nexpiresAtMs=" + expiresAtMs
                    + "\n").getBytes(StandardCharsets.UTF_8);
        }

        static Lease parse(byte[] bytes) {
            String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\n");
            if (lines.length != 4 || !lines[0].equals(LEASE_HEADER) || !lines[1].startsWith("holder=")
                    || !lines[2].startsWith("startedAtMs=") || !lines[3].startsWith("expiresAtMs=")) {
                throw new IllegalStateException("the prune lease " + LEASE + " is not a lease this version writes;"
                        + " check what wrote it, then delete it");
            }
            try {
                return new Lease(lines[1].substring(7), Long.parseLong(lines[2].substring(12)),
                        Long.parseLong(lines[3].substring(12)));
            } catch (NumberFormatException e) {
                throw new IllegalStateException("the prune lease " + LEASE + " holds a bad time: " + e.getMessage());
            }
        }
    }

    private final BackupTarget target;
    private final BackupReader reader;
    private final Clock clock;
    private final String holder;
    private final long leaseMs;

    /**
     * @param reader  opens manifests (it needs an identity every manifest is encrypted to)
     * @param holder  who prunes, for the lease and the messages (a node id)
     * @param leaseMs how long the lease lasts; a killed prune blocks others this long at most
     */
    public Pruner(BackupTarget target, BackupReader reader, Clock clock, String holder, long leaseMs) {
        if (leaseMs < 1_000) {
            throw new IllegalArgumentException("a prune lease must last at least 1 s, not " + leaseMs + " ms");
        }
        this.target = target;
        this.reader = reader;
        this.clock = clock;
        this.holder = holder;
        this.leaseMs = leaseMs;
    }

    /**
     * Takes the lease (refused while another live lease exists; an expired one is replaced). Package-visible for the
     * killed-prune test, which takes a lease and never lets it go.
     */
    Lease acquire() throws BackupTargetException {
        long now = clock.nowMillis();
        Optional<byte[]> existing = target.get(LEASE);
        if (existing.isPresent()) {
            Lease other = Lease.parse(existing.get());
            if (now < other.expiresAtMs()) {
                throw new IllegalStateException("another prune (" + other.holder() + ") holds the lease on "
                        + target.describe() + " until " + java.time.Instant.ofEpochMilli(other.expiresAtMs())
                        + "; it is removed when that prune ends, or expires then");
            }
            target.delete(LEASE);
        }
        Lease mine = new Lease(holder, now, now + leaseMs);
        try {
            target.put(LEASE, mine.toBytes());
        } catch (ObjectConflictException e) {
            throw new IllegalStateException("another prune took the lease on " + target.describe() + " just now");
        }
        return mine;
    }

    private void release(Lease lease) throws BackupTargetException {
        Optional<byte[]> now = target.get(LEASE);
        if (now.isPresent() && java.util.Arrays.equals(now.get(), lease.toBytes())) {
            target.delete(LEASE);
        }
    }

    /** Prunes by {@code policy}, leaving objects no manifest names alone. */
    public Report prune(RetentionPolicy policy, boolean dryRun) throws BackupTargetException {
        return prune(Optional.of(policy), dryRun, java.util.OptionalLong.empty());
    }

    /**
     * Prunes by {@code policy} (none: every manifest is kept), then, with {@code orphanGraceMs}, deletes the objects no
     * manifest names whose time on the target ({@link BackupTarget#lastModifiedMs}) is at least that old: what killed
     * backups left. A backup still writing has only young objects, so a grace longer than the longest backup keeps
     * it whole. {@code dryRun} reports what it would delete and deletes nothing (and takes no lease).
     *
     * @throws IllegalStateException when a manifest that appeared during the prune names an orphan it deleted (a grace
     *                               shorter than a backup running meanwhile): that backup must be written again
     */
    public Report prune(Optional<RetentionPolicy> policy, boolean dryRun, java.util.OptionalLong orphanGraceMs)
            throws BackupTargetException {
        if (orphanGraceMs.isPresent() && orphanGraceMs.getAsLong() < 0) {
            throw new IllegalArgumentException("the orphan grace is at least 0 ms, not " + orphanGraceMs.getAsLong());
        }
        Lease lease = dryRun ? null : acquire();
        try {
            Map<ManifestRef, Manifest> manifests = new HashMap<>();
            openNew(manifests);
            if (manifests.isEmpty()) {
                // No manifest at all: every object is unreferenced (a first backup killed, or one being written).
                List<String> orphans = orphans(Set.of(), Set.of(), orphanGraceMs, dryRun, lease);
                return new Report(List.of(), List.of(), List.of(), 0, orphans, unreferenced(Set.of(), Set.copyOf(orphans)));
            }
            List<RetentionPolicy.Dated> dated = manifests.entrySet().stream()
                    .map(e -> new RetentionPolicy.Dated(e.getKey(), e.getValue().createdAtMs())).toList();
            List<ManifestRef> kept = policy.map(p -> p.keep(dated)).orElseGet(() -> dated.stream()
                    .map(RetentionPolicy.Dated::ref).sorted(java.util.Comparator.comparingLong(ManifestRef::number)
                            .reversed()).toList());
            List<ManifestRef> dropped = manifests.keySet().stream().filter(r -> !kept.contains(r))
                    .sorted(java.util.Comparator.comparingLong(ManifestRef::number)).toList();

            List<ManifestRef> deletedManifests = new ArrayList<>();
            for (ManifestRef r : dropped) {
                if (!dryRun) {
                    checkLease(lease);
                    target.delete(r.name());
                }
                deletedManifests.add(r);
            }
            // A backup that finished meanwhile names objects too: its manifest is kept, and so is all it names.
            Set<ManifestRef> keptAll = new HashSet<>(kept);
            if (!dryRun) {
                keptAll.addAll(openNew(manifests));
            }
            Set<String> needed = new HashSet<>();
            for (ManifestRef r : keptAll) {
                manifests.get(r).objects().forEach(o -> needed.add(o.name()));
            }
            Map<String, Long> candidates = new java.util.TreeMap<>();
            for (ManifestRef r : dropped) {
                for (Manifest.Entry o : manifests.get(r).objects()) {
                    if (!needed.contains(o.name())) {
                        candidates.put(o.name(), o.sizeBytes());
                    }
                }
            }
            List<String> deleted = new ArrayList<>();
            long bytes = 0;
            for (Map.Entry<String, Long> c : candidates.entrySet()) {
                if (!dryRun) {
                    checkLease(lease);
                    target.delete(c.getKey());
                }
                deleted.add(c.getKey());
                bytes += c.getValue();
            }
            List<String> orphans = orphans(needed, candidates.keySet(), orphanGraceMs, dryRun, lease);
            if (!dryRun && !orphans.isEmpty()) {
                // A backup that finished meanwhile must not name an object just deleted.
                for (ManifestRef r : openNew(manifests)) {
                    for (Manifest.Entry o : manifests.get(r).objects()) {
                        if (orphans.contains(o.name())) {
                            throw new IllegalStateException("manifest " + r.number() + " on " + target.describe()
                                    + " appeared during this prune and names " + o.name() + ", which this prune deleted"
                                    + " as older than the orphan grace: that backup ran longer than the grace; run"
                                    + " 'agentmesh backup create' again and use a longer grace");
                        }
                    }
                }
            }
            Set<String> gone = new HashSet<>(candidates.keySet());
            gone.addAll(orphans);
            return new Report(kept, deletedManifests, deleted, bytes, orphans, unreferenced(needed, gone));
        } finally {
            if (lease != null) {
                release(lease);
            }
        }
    }

    /** Opens every manifest on the target not in {@code known} yet, adds it there, and returns the new ones. */
    private List<ManifestRef> openNew(Map<ManifestRef, Manifest> known) throws BackupTargetException {
        List<ManifestRef> added = new ArrayList<>();
        for (String name : target.list("man/", MAX_MANIFEST_NAMES)) {
            Optional<ObjectName> parsed = ObjectName.parse(name);
            if (parsed.isEmpty() || parsed.get().kind() != ObjectName.Kind.MANIFEST) {
                continue;
            }
            ManifestRef ref = new ManifestRef(parsed.get().number(), parsed.get().sha256());
            if (known.containsKey(ref)) {
                continue;
            }
            byte[] bytes = target.get(name).orElseThrow(() -> new IllegalStateException("manifest " + name
                    + " vanished while pruning " + target.describe() + ": is another prune running without a lease?"));
            known.put(ref, reader.openManifest(name, bytes));
            added.add(ref);
        }
        return added;
    }

    /**
     * Deletes (or, dry, lists) the backup objects no manifest names that are at least {@code graceMs} old on the
     * target; nothing without a grace.
     */
    private List<String> orphans(Set<String> needed, Set<String> deleted, java.util.OptionalLong graceMs, boolean dryRun,
                                 Lease lease) throws BackupTargetException {
        if (graceMs.isEmpty()) {
            return List.of();
        }
        long now = clock.nowMillis();
        List<String> out = new ArrayList<>();
        for (String prefix : List.of("seg/", "snap/", "ident/")) {
            for (String name : target.list(prefix, MAX_MANIFEST_NAMES)) {
                if (ObjectName.parse(name).isEmpty() || needed.contains(name) || deleted.contains(name)) {
                    continue;
                }
                Optional<Long> at = target.lastModifiedMs(name);
                if (at.isEmpty() || now - at.get() < graceMs.getAsLong()) {
                    continue; // gone meanwhile, or young enough to belong to a backup still writing
                }
                if (!dryRun) {
                    checkLease(lease);
                    target.delete(name);
                }
                out.add(name);
            }
        }
        return out;
    }

    /** Backup objects on the target that no manifest names: a backup being written, or one that was killed. */
    private int unreferenced(Set<String> needed, Set<String> deleted) throws BackupTargetException {
        int n = 0;
        for (String prefix : List.of("seg/", "snap/", "ident/")) {
            for (String name : target.list(prefix, MAX_MANIFEST_NAMES)) {
                if (ObjectName.parse(name).isPresent() && !needed.contains(name) && !deleted.contains(name)) {
                    n++;
                }
            }
        }
        return n;
    }

    /** Stops before a delete when the lease has less than a tenth of its time left: another prune may take it. */
    private void checkLease(Lease lease) {
        long now = clock.nowMillis();
        if (now > lease.expiresAtMs() - leaseMs / 10) {
            throw new IllegalStateException("the prune lease on " + target.describe() + " is running out; stopped"
                    + " before deleting more (run the prune again)");
        }
    }
}
