package dev.beckon.planner.generations;

import dev.beckon.models.Messages;
import dev.beckon.planner.state.ProfileLock;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.regex.Pattern;

import org.eclipse.jgit.lib.BatchRefUpdate;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.StoredConfig;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.transport.FetchConnection;
import org.eclipse.jgit.transport.PushResult;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.RemoteRefUpdate;
import org.eclipse.jgit.transport.ReceiveCommand;
import org.eclipse.jgit.transport.SshTransport;
import org.eclipse.jgit.transport.Transport;
import org.eclipse.jgit.transport.URIish;

/**
 * A profile shared by a team through a bare git repository (a path, or an SSH URL reached with the system's OpenSSH,
 * see {@link OpenSshSessions}), named by {@code beckon.remote} in the profile repository's config.
 *
 * <p>The shared repository holds the same refs as the profile: the branch {@code generations}, the tags
 * {@code generation-N} and {@code refs/beckon/current}. Sharing only ever fast-forwards the branch: {@link #pull}
 * makes this profile's refs those of the shared repository when its branch is the same as or behind the shared one,
 * {@link #push} the other way round, every shared ref moved with a compare-and-swap against what was just read, in
 * one atomic push. Histories that each hold a generation the other lacks have diverged, and both refuse.
 *
 * <p>The profile's lock across operators is the ref {@code refs/beckon/lock} in the shared repository: a commit
 * whose message names its holder (as a deployment lock file does). It is taken by creating the ref with a push that
 * expects it absent, so of two operators exactly one gets it, and released by deleting it with a push that expects
 * the holder's own commit. A lock whose holder ran on this host and is gone is stale and taken over; one from another
 * host cannot be judged from here and is broken by {@code beckon profile unlock --force}.
 */
public final class SharedProfile {
    static final String REMOTE_KEY = "remote";
    static final String LOCK_REF = "refs/beckon/lock";
    /** Where a fetch puts the shared branch, so its objects are here; nothing reads generations from it. */
    private static final String FETCHED_BRANCH = "refs/beckon/shared/generations";
    private static final String FETCHED_LOCK = "refs/beckon/shared/lock";
    /** Where {@code pull --force} keeps this profile's own branch tip, so a discarded history stays readable. */
    static final String DIVERGED_PREFIX = "refs/beckon/diverged/";
    private static final Pattern GENERATION_TAG = Pattern.compile(Pattern.quote(GenerationHistory.TAG_PREFIX) + "[1-9][0-9]{0,8}");

    private final Path directory;
    private final String profile;
    private final Repository repository;
    private final ProfileLock lock;
    private final GenerationHistory history;

    SharedProfile(Path directory, String profile, Repository repository, ProfileLock lock, GenerationHistory history) {
        this.directory = directory;
        this.profile = profile;
        this.repository = repository;
        this.lock = lock;
        this.history = history;
    }

    /** How the two histories stand, as seen by the last {@link #pull} or {@link #push}. */
    public enum Relation {
        /** Same branch, same current generation and tags. */
        IN_SYNC,
        /** This profile took, or sent, what the other side had newer. */
        UPDATED,
        /** This profile has generations the shared repository lacks ({@link #pull} leaves them, push sends them). */
        AHEAD,
        /** The shared repository has generations this profile lacks. */
        BEHIND
    }

    /** The shared repository's URL or path; empty when the profile is not shared. */
    public Optional<String> remote() {
        return Optional.ofNullable(repository.getConfig().getString(ProfileRepository.CONFIG_SECTION, null, REMOTE_KEY));
    }

    /** Names the shared repository (checked to be a git URL or a path), or with {@code null} stops sharing. */
    public void setRemote(String url) {
        try {
            if (url != null) {
                uri(url);
            }
            StoredConfig config = repository.getConfig();
            if (url == null) {
                config.unset(ProfileRepository.CONFIG_SECTION, null, REMOTE_KEY);
            } else {
                config.setString(ProfileRepository.CONFIG_SECTION, null, REMOTE_KEY, url);
            }
            config.save();
        } catch (IOException e) {
            throw new GenerationsException(directory, "cannot write its config: " + e.getMessage(), e);
        }
    }

    /**
     * Makes this profile's generations those of the shared repository when it has newer ones.
     *
     * @param discardDiverged when the histories diverged, take the shared one anyway; this profile's own branch tip is
     *                        kept under {@code refs/beckon/diverged/}, so no generation recorded here is lost from git
     */
    public Relation pull(boolean discardDiverged) {
        String url = requireRemote();
        ProfileLock.Held held = lock.acquire("pull from " + url);
        try (held; Transport transport = open(url); RevWalk walk = new RevWalk(repository)) {
            Map<String, Ref> shared = advertised(transport);
            Ref sharedBranch = shared.get(GenerationHistory.BRANCH);
            if (sharedBranch == null) {
                return repository.exactRef(GenerationHistory.BRANCH) == null ? Relation.IN_SYNC : Relation.AHEAD;
            }
            transport.fetch(NullProgressMonitor.INSTANCE, List.of(new RefSpec("+" + GenerationHistory.BRANCH + ":" + FETCHED_BRANCH)));
            Ref ownBranch = repository.exactRef(GenerationHistory.BRANCH);
            ObjectId own = ownBranch == null ? null : ownBranch.getObjectId();
            RevCommit theirs = walk.parseCommit(sharedBranch.getObjectId());
            boolean diverged = false;
            if (own != null && !own.equals(theirs)) {
                RevCommit ours = walk.parseCommit(own);
                if (walk.isMergedInto(theirs, ours)) {
                    return Relation.AHEAD;
                }
                walk.reset();
                diverged = !walk.isMergedInto(ours, walk.parseCommit(theirs));
                walk.reset();
                if (diverged && !discardDiverged) {
                    throw diverged(walk, ours, theirs, url);
                }
            }
            Map<String, ObjectId> wanted = sharedRefs(shared);
            Map<String, ObjectId> current = ownRefs();
            if (wanted.equals(current)) {
                return Relation.IN_SYNC;
            }
            BatchRefUpdate batch = repository.getRefDatabase().newBatchUpdate();
            batch.setAtomic(true);
            batch.setAllowNonFastForwards(true);
            batch.setRefLogMessage("beckon: pulled from " + url, false);
            if (diverged) {
                batch.addCommand(new ReceiveCommand(ObjectId.zeroId(), own, DIVERGED_PREFIX + Instant.now().toEpochMilli()));
            }
            addCommands(batch, current, wanted);
            batch.execute(walk, NullProgressMonitor.INSTANCE);
            for (ReceiveCommand command : batch.getCommands()) {
                if (command.getResult() != ReceiveCommand.Result.OK) {
                    throw new GenerationsException(directory, "pulling from " + url + " failed, nothing was changed: " + command.getRefName()
                            + ": " + command.getResult());
                }
            }
            return Relation.UPDATED;
        } catch (GenerationsException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw failed("pull from", url, e);
        }
    }

    /**
     * Sends this profile's generations to the shared repository when it has newer ones (or moved its current one), in
     * one atomic push that fails if the shared repository changed since it was read. Refuses when the shared
     * repository has generations this profile lacks.
     */
    public Relation push() {
        String url = requireRemote();
        ProfileLock.Held held = lock.acquire("push to " + url);
        try (held; Transport transport = openCreating(url); RevWalk walk = new RevWalk(repository)) {
            Map<String, Ref> shared = advertised(transport);
            Ref ownBranch = repository.exactRef(GenerationHistory.BRANCH);
            if (ownBranch == null) {
                return shared.containsKey(GenerationHistory.BRANCH) ? Relation.BEHIND : Relation.IN_SYNC;
            }
            Ref sharedBranch = shared.get(GenerationHistory.BRANCH);
            if (sharedBranch != null && !sharedBranch.getObjectId().equals(ownBranch.getObjectId())) {
                transport.fetch(NullProgressMonitor.INSTANCE, List.of(new RefSpec("+" + GenerationHistory.BRANCH + ":" + FETCHED_BRANCH)));
                RevCommit ours = walk.parseCommit(ownBranch.getObjectId());
                RevCommit theirs = walk.parseCommit(sharedBranch.getObjectId());
                if (walk.isMergedInto(ours, theirs)) {
                    return Relation.BEHIND;
                }
                walk.reset();
                if (!walk.isMergedInto(theirs, walk.parseCommit(ours))) {
                    walk.reset();
                    throw diverged(walk, walk.parseCommit(ours), walk.parseCommit(theirs), url);
                }
            }
            Map<String, ObjectId> sharedNow = sharedRefs(shared);
            Map<String, ObjectId> ours = ownRefs();
            if (sharedNow.equals(ours)) {
                return Relation.IN_SYNC;
            }
            List<RemoteRefUpdate> updates = new ArrayList<>();
            SortedSet<String> names = new TreeSet<>(ours.keySet());
            names.addAll(sharedNow.keySet());
            for (String name : names) {
                ObjectId want = ours.get(name);
                ObjectId have = sharedNow.get(name);
                if (want != null && want.equals(have)) {
                    continue;
                }
                // Forced, because a rollback moves current backwards; the expected old value is what keeps it safe.
                updates.add(new RemoteRefUpdate(repository, (String) null, want, name, true, null, have == null ? ObjectId.zeroId() : have));
            }
            transport.setPushAtomic(true);
            PushResult result = transport.push(NullProgressMonitor.INSTANCE, updates);
            List<String> refused = new ArrayList<>();
            for (RemoteRefUpdate update : result.getRemoteUpdates()) {
                if (update.getStatus() != RemoteRefUpdate.Status.OK && update.getStatus() != RemoteRefUpdate.Status.UP_TO_DATE) {
                    refused.add(update.getRemoteName() + ": " + update.getStatus() + (update.getMessage() == null ? "" : " (" + update.getMessage() + ")"));
                }
            }
            if (!refused.isEmpty()) {
                throw new GenerationsException(directory, "the shared repository " + url + " refused the push, so it is unchanged ("
                        + String.join("; ", refused) + "); `beckon profile pull` and try again");
            }
            return Relation.UPDATED;
        } catch (GenerationsException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw failed("push to", url, e);
        }
    }

    /**
     * Takes the profile's lock in the shared repository for {@code holderLine} (a deployment lock's holder line, which
     * {@code describe} turns into words for people and {@code stale} judges).
     *
     * @return the held lock; closing it releases it
     * @throws GenerationsException when another operator holds it, naming them and what to do
     */
    public Held lock(String holderLine, java.util.function.Function<String, String> describe,
            java.util.function.Predicate<String> stale, java.util.function.Consumer<String> notices) {
        String url = requireRemote();
        try (Transport transport = openCreating(url)) {
            ObjectId mine = lockCommit(holderLine);
            Ref existing = advertised(transport).get(LOCK_REF);
            ObjectId expected = ObjectId.zeroId();
            if (existing != null) {
                String holder = holderOf(transport, existing.getObjectId());
                if (!stale.test(holder)) {
                    throw new GenerationsException(directory, "its shared repository " + url + " is locked by " + describe.apply(holder)
                            + "; wait for it to finish, or if it is gone run `beckon profile unlock --force` and try again");
                }
                notices.accept("The shared lock of profile " + profile + " in " + url + " was held by " + describe.apply(holder)
                        + ", which is gone; taking it over.");
                expected = existing.getObjectId();
            }
            RemoteRefUpdate.Status status = pushOne(transport, LOCK_REF, mine, expected);
            if (status != RemoteRefUpdate.Status.OK) {
                throw new GenerationsException(directory, "its shared repository " + url + " was locked by another operator at the same"
                        + " moment (" + status + "); try again");
            }
            return new Held(url, mine);
        } catch (GenerationsException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw failed("lock", url, e);
        }
    }

    /** Removes the shared lock whoever holds it; returns its holder's line, empty when it was not locked. */
    public Optional<String> breakLock() {
        String url = requireRemote();
        try (Transport transport = open(url)) {
            Ref existing = advertised(transport).get(LOCK_REF);
            if (existing == null) {
                return Optional.empty();
            }
            String holder = holderOf(transport, existing.getObjectId());
            RemoteRefUpdate.Status status = pushOne(transport, LOCK_REF, null, existing.getObjectId());
            if (status != RemoteRefUpdate.Status.OK) {
                throw new GenerationsException(directory, "the shared lock in " + url + " changed while it was being removed (" + status
                        + "); look again with `beckon profile unlock --force`");
            }
            return Optional.of(holder);
        } catch (GenerationsException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw failed("unlock", url, e);
        }
    }

    /** A held shared lock. */
    public final class Held implements AutoCloseable {
        private final String url;
        private final ObjectId commit;
        private boolean released;

        private Held(String url, ObjectId commit) {
            this.url = url;
            this.commit = commit;
        }

        /** Releases it, only if it is still this one's. */
        @Override
        public void close() {
            if (released) {
                return;
            }
            released = true;
            try (Transport transport = open(url)) {
                RemoteRefUpdate.Status status = pushOne(transport, LOCK_REF, null, commit);
                if (status != RemoteRefUpdate.Status.OK) {
                    throw new GenerationsException(directory, "the shared lock in " + url + " was no longer this command's when it"
                            + " finished (" + status + "): someone broke it meanwhile");
                }
            } catch (GenerationsException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                throw failed("release the shared lock in", url, e);
            }
        }
    }

    // ---- the refs ----

    /** The generation refs of this profile by name: the branch, the current pointer, the generation tags. */
    private Map<String, ObjectId> ownRefs() throws IOException {
        Map<String, ObjectId> refs = new HashMap<>();
        for (Ref ref : repository.getRefDatabase().getRefsByPrefix(GenerationHistory.TAG_PREFIX)) {
            if (GENERATION_TAG.matcher(ref.getName()).matches()) {
                refs.put(ref.getName(), ref.getObjectId());
            }
        }
        for (String name : List.of(GenerationHistory.BRANCH, GenerationHistory.CURRENT_REF)) {
            Ref ref = repository.exactRef(name);
            if (ref != null) {
                refs.put(name, ref.getObjectId());
            }
        }
        return refs;
    }

    private static Map<String, ObjectId> sharedRefs(Map<String, Ref> advertised) {
        Map<String, ObjectId> refs = new HashMap<>();
        advertised.forEach((name, ref) -> {
            boolean generationRef = name.equals(GenerationHistory.BRANCH) || name.equals(GenerationHistory.CURRENT_REF)
                    || GENERATION_TAG.matcher(name).matches();
            if (generationRef && ref.getObjectId() != null) {
                refs.put(name, ref.getObjectId());
            }
        });
        return refs;
    }

    private static void addCommands(BatchRefUpdate batch, Map<String, ObjectId> current, Map<String, ObjectId> wanted) {
        SortedSet<String> names = new TreeSet<>(current.keySet());
        names.addAll(wanted.keySet());
        for (String name : names) {
            ObjectId have = current.getOrDefault(name, ObjectId.zeroId());
            ObjectId want = wanted.getOrDefault(name, ObjectId.zeroId());
            if (!have.equals(want)) {
                batch.addCommand(new ReceiveCommand(have, want, name));
            }
        }
    }

    private GenerationsException diverged(RevWalk walk, RevCommit ours, RevCommit theirs, String url) throws IOException {
        walk.reset();
        walk.setRevFilter(org.eclipse.jgit.revwalk.filter.RevFilter.MERGE_BASE);
        walk.markStart(walk.parseCommit(ours));
        walk.markStart(walk.parseCommit(theirs));
        RevCommit base = walk.next();
        walk.reset();
        walk.setRevFilter(org.eclipse.jgit.revwalk.filter.RevFilter.ALL);
        String since = base == null ? "they share no generation"
                : "both recorded generations after generation " + history.generationNumberOf(walk.parseCommit(base), "their common commit");
        return new GenerationsException(directory, "its history has diverged from the shared repository " + url + " (" + since
                + ": generation " + history.generationNumberOf(walk.parseCommit(ours), GenerationHistory.BRANCH) + " here, "
                + history.generationNumberOf(walk.parseCommit(theirs), "the shared " + GenerationHistory.BRANCH) + " there)"
                + "; run `beckon profile pull --force` to take the shared history (this one's stays under " + DIVERGED_PREFIX
                + "), then deploy again what should run");
    }

    // ---- the lock ----

    private ObjectId lockCommit(String holderLine) throws IOException {
        try (org.eclipse.jgit.lib.ObjectInserter inserter = repository.newObjectInserter()) {
            ObjectId emptyTree = inserter.insert(new org.eclipse.jgit.lib.TreeFormatter());
            org.eclipse.jgit.lib.CommitBuilder commit = new org.eclipse.jgit.lib.CommitBuilder();
            commit.setTreeId(emptyTree);
            org.eclipse.jgit.lib.PersonIdent who = new org.eclipse.jgit.lib.PersonIdent("beckon", "");
            commit.setAuthor(who);
            commit.setCommitter(who);
            commit.setMessage("beckon lock of profile " + profile + "\n\n" + holderLine.strip() + "\n");
            ObjectId id = inserter.insert(commit);
            inserter.flush();
            return id;
        }
    }

    private String holderOf(Transport transport, ObjectId lockCommit) throws IOException {
        transport.fetch(NullProgressMonitor.INSTANCE, List.of(new RefSpec("+" + LOCK_REF + ":" + FETCHED_LOCK)));
        try (RevWalk walk = new RevWalk(repository)) {
            String message = walk.parseCommit(lockCommit).getFullMessage();
            int blank = message.indexOf("\n\n");
            return Messages.printable((blank < 0 ? message : message.substring(blank + 2)).strip());
        }
    }

    private RemoteRefUpdate.Status pushOne(Transport transport, String ref, ObjectId newId, ObjectId expectedOld) throws IOException {
        RemoteRefUpdate update = new RemoteRefUpdate(repository, (String) null, newId, ref, true, null, expectedOld);
        PushResult result = transport.push(NullProgressMonitor.INSTANCE, List.of(update));
        return result.getRemoteUpdate(ref).getStatus();
    }

    // ---- the transport ----

    private String requireRemote() {
        return remote().orElseThrow(() -> new GenerationsException(directory, "profile " + profile + " has no shared repository;"
                + " name one with `beckon profile remote URL` (a path or ssh://host/path)"));
    }

    private Map<String, Ref> advertised(Transport transport) throws IOException {
        try (FetchConnection connection = transport.openFetch()) {
            return new HashMap<>(connection.getRefsMap());
        }
    }

    /** Opens the shared repository, first creating it as a bare repository when it is a local path that does not exist. */
    private Transport openCreating(String url) throws IOException {
        URIish uri = uri(url);
        if (uri.getScheme() == null || uri.getScheme().equals("file")) {
            Path path = Path.of(uri.getPath());
            if (path.isAbsolute() && !Files.exists(path)) {
                try (Repository created = new FileRepositoryBuilder().setGitDir(path.toFile()).setBare().build()) {
                    created.create(true);
                }
            }
        }
        return open(url);
    }

    private Transport open(String url) throws IOException {
        Transport transport = Transport.open(repository, uri(url));
        if (transport instanceof SshTransport ssh) {
            ssh.setSshSessionFactory(new OpenSshSessions(System.getenv()));
        }
        return transport;
    }

    private URIish uri(String url) {
        try {
            URIish uri = new URIish(url);
            if ((uri.getScheme() == null || uri.getScheme().equals("file")) && !uri.isRemote() && !Path.of(uri.getPath()).isAbsolute()) {
                throw new GenerationsException(directory, "the shared repository " + Messages.quote(url) + " is a relative path; give an"
                        + " absolute one, so every command finds the same repository");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new GenerationsException(directory, Messages.quote(url) + " is not a git URL or path: " + e.getReason(), e);
        }
    }

    private GenerationsException failed(String what, String url, Exception e) {
        return new GenerationsException(directory, "cannot " + what + " the shared repository " + url + ": " + e.getMessage(), e);
    }
}
