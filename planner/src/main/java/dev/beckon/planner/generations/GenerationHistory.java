package dev.beckon.planner.generations;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.eclipse.jgit.errors.IncorrectObjectTypeException;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;

/**
 * The layout of a profile repository (see {@link Generations}) and the reading of it: which generations are kept,
 * which one is current, and what each holds. Every answer of one operation comes from one {@link State}, read once.
 * Damage is reported as a {@link GenerationsException} that says what is wrong and, where it can, how to repair it.
 */
final class GenerationHistory {
    static final String BRANCH = Constants.R_HEADS + "generations";
    static final String CURRENT_REF = "refs/beckon/current";
    static final String TAG_PREFIX = Constants.R_TAGS + "generation-";
    static final String MANIFEST_FILE = "manifest.json";
    static final String MODELS_DIRECTORY = "models";
    static final String GENERATION_TRAILER = "Beckon-Generation";
    static final String PROFILE_TRAILER = "Beckon-Profile";

    private static final Pattern GENERATION_TAG = Pattern.compile(Pattern.quote(TAG_PREFIX) + "([1-9][0-9]{0,8})");

    private final Path directory;
    private final String profile;
    private final Repository repository;

    GenerationHistory(Path directory, String profile, Repository repository) {
        this.directory = directory;
        this.profile = profile;
        this.repository = repository;
    }

    /** What the refs say, read once per operation so that every answer comes from one consistent look. */
    record State(SortedMap<Integer, RevCommit> kept, Optional<Integer> current, Ref currentRef) {
    }

    State readState(RevWalk walk) throws IOException {
        SortedMap<Integer, RevCommit> kept = new TreeMap<>();
        for (Ref tag : repository.getRefDatabase().getRefsByPrefix(TAG_PREFIX)) {
            Matcher matcher = GENERATION_TAG.matcher(tag.getName());
            if (!matcher.matches()) {
                continue; // An operator's own tag, not a generation.
            }
            int number = Integer.parseInt(matcher.group(1));
            RevCommit commit = commitOf(walk, tag);
            int recorded = generationNumberOf(commit, tag.getName());
            if (recorded != number) {
                throw damaged(tag.getName() + " points to commit " + commit.name() + ", which records generation " + recorded);
            }
            kept.put(number, commit);
        }
        Ref currentRef = repository.exactRef(CURRENT_REF);
        if (currentRef == null) {
            if (!kept.isEmpty()) {
                throw damaged("it keeps generations " + numbers(kept) + " but has no " + CURRENT_REF + " to say which one is deployed"
                        + "; after checking which one the targets run, set it with: git -C " + directory + " update-ref " + CURRENT_REF
                        + " " + tagName(kept.lastKey()));
            }
            return new State(kept, Optional.empty(), null);
        }
        RevCommit currentCommit = commitOf(walk, currentRef);
        int current = generationNumberOf(currentCommit, CURRENT_REF);
        RevCommit tagged = kept.get(current);
        if (!currentCommit.equals(tagged)) {
            throw damaged(CURRENT_REF + " points to commit " + currentCommit.name() + " of generation " + current + ", but "
                    + tagName(current) + (tagged == null ? " is missing" : " points to commit " + tagged.name())
                    + "; restore it with: git -C " + directory + " tag -f generation-" + current + " " + currentCommit.name());
        }
        return new State(kept, Optional.of(current), currentRef);
    }

    RevCommit commitOf(RevWalk walk, Ref ref) {
        ObjectId id = ref.getObjectId();
        if (id == null) {
            throw damaged(ref.getName() + " points nowhere");
        }
        try {
            return walk.parseCommit(id);
        } catch (MissingObjectException e) {
            throw damaged(ref.getName() + " points to " + id.name() + ", which is not in the repository", e);
        } catch (IncorrectObjectTypeException e) {
            throw damaged(ref.getName() + " points to " + id.name() + ", which is not a commit", e);
        } catch (IOException e) {
            throw damaged(ref.getName() + " points to " + id.name() + ", which cannot be read (" + e.getMessage() + ")", e);
        }
    }

    int generationNumberOf(RevCommit commit, String reachedThrough) {
        List<String> values = commit.getFooterLines(GENERATION_TRAILER);
        if (values.size() == 1) {
            try {
                int number = Integer.parseInt(values.get(0).strip());
                if (number > 0) {
                    return number;
                }
            } catch (NumberFormatException e) {
                // Reported below with the commit that carries it.
            }
        }
        throw damaged(reachedThrough + " points to commit " + commit.name() + ", which beckon did not record (its message has "
                + (values.isEmpty() ? "no " + GENERATION_TRAILER + " trailer" : "the " + GENERATION_TRAILER + " trailer " + values) + ")");
    }

    RevCommit keptCommit(State state, int number) {
        RevCommit commit = state.kept().get(number);
        if (commit == null) {
            throw new UnknownGenerationException(directory, profile, number, new TreeSet<>(state.kept().keySet()));
        }
        return commit;
    }

    Generation describe(State state, int number) {
        return describeCommit(number, state.kept().get(number), state.current().orElse(0) == number);
    }

    static Generation describeCommit(int number, RevCommit commit, boolean current) {
        PersonIdent author = commit.getAuthorIdent();
        return new Generation(number, author.getWhenAsInstant(), author.getName(), messageOf(commit), commit.name(), current);
    }

    static byte[] readBlob(ObjectReader reader, ObjectId blob) throws IOException {
        return reader.open(blob, Constants.OBJ_BLOB).getBytes(Integer.MAX_VALUE);
    }

    static boolean isFile(FileMode mode) {
        return mode == FileMode.REGULAR_FILE || mode == FileMode.EXECUTABLE_FILE;
    }

    static String messageOf(RevCommit commit) {
        String full = commit.getFullMessage();
        int trailers = full.lastIndexOf("\n\n" + GENERATION_TRAILER + ":");
        return (trailers < 0 ? full : full.substring(0, trailers)).strip();
    }

    static String tagName(int number) {
        return TAG_PREFIX + number;
    }

    private static String numbers(SortedMap<Integer, ?> kept) {
        return kept.keySet().stream().map(String::valueOf).collect(Collectors.joining(", "));
    }

    GenerationsException damaged(String detail) {
        return damaged(detail, null);
    }

    GenerationsException damaged(String detail, Throwable cause) {
        return new GenerationsException(directory, "is damaged: " + detail, cause);
    }
}
