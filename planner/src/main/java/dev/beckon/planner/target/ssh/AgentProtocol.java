package dev.beckon.planner.target.ssh;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.beckon.activation.InstanceLog;
import dev.beckon.activation.InstanceStatus;
import dev.beckon.planner.manifest.ManifestEntry;
import java.util.List;

/**
 * The messages between beckon and its agent on a target: one JSON object per line, a request from beckon
 * and exactly one response from the agent, in turn. {@code query} with {@code entries} instead of one {@code entry}
 * asks about all of them at once and is answered with their {@code statuses} in the same order. The agent's first line says which protocol it speaks;
 * beckon refuses an agent whose protocol is not its own (the runtime is copied by content hash, so both
 * sides normally come from the same build).
 */
final class AgentProtocol {
    static final int VERSION = 1;

    static final ObjectMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            .build();

    /** {@code collect-store}'s {@code paths}: the entries its kept generations reference there, and its dropped ones. */
    static final String KEPT = "kept=";
    static final String DROPPED = "dropped=";
    /** {@code collect-store}'s {@code paths}: how many snapshots of each service to keep. */
    static final String KEEP_SNAPSHOTS = "keep-snapshots=";
    /** {@code collect-store}'s {@code command}: find what would go, or remove it. */
    static final String DRY_RUN = "dry-run";
    static final String COLLECT = "collect";
    /** A line of {@code collect-store}'s answer: the bytes an entry took, a space, its name. */
    static final java.util.regex.Pattern REMOVED_ENTRY = java.util.regex.Pattern.compile("([0-9]{1,18}) ([^/\\x00]+)",
            java.util.regex.Pattern.DOTALL);

    private AgentProtocol() {}

    /** The agent's first line. */
    record Hello(int protocol, long pid, String host) {}

    /**
     * What beckon asks; only the fields its operation needs are set. {@code set-knob} passes its knob's name and value
     * as the two {@code paths}; {@code knobs} answers with {@code NAME=VALUE} lines as the response's {@code paths};
     * {@code restore-snapshot} passes the snapshot's name as its one {@code paths}; {@code record-deployed} passes a
     * generation's number and manifest as the two {@code paths}, and {@code read-deployed} answers them so (none when the
     * target records nothing for the profile); {@code put-secrets} passes each secret
     * as {@code NAME=BASE64} in {@code paths} (this stream is the only way a value reaches a target), {@code check-secrets}
     * none; {@code protect-store-entries} and {@code add-store-roots} pass store entry names in {@code paths};
     * {@code collect-store} passes {@link #KEPT} and {@link #DROPPED} names and {@link #KEEP_SNAPSHOTS} in {@code paths} and {@link #DRY_RUN} or
     * {@link #COLLECT} as {@code command}, and is answered with {@link #REMOVED_ENTRY} lines in {@code paths}; {@code render}
     * is answered with each file's name and content in turn in {@code paths}.
     */
    record Request(String operation, ManifestEntry entry, List<ManifestEntry> entries, String target, String stateDirectory,
            String command, List<String> paths, Integer lines, String position, List<ManifestEntry> previous, Long timeoutMillis) {

        Request(String operation, ManifestEntry entry, List<ManifestEntry> entries, String target, String stateDirectory,
                String command, List<String> paths, Integer lines, String position) {
            this(operation, entry, entries, target, stateDirectory, command, paths, lines, position, null, null);
        }

        /**
         * {@code arm-confirm}: the agent puts the target back to {@code previous} by itself unless the deployer confirms
         * {@code token} within {@code timeoutMillis} through a new connection ({@link ConfirmWatchdog}); {@code entries}
         * are what the target runs now.
         */
        static Request armConfirm(String target, String stateDirectory, String token, List<ManifestEntry> current,
                List<ManifestEntry> previous, long timeoutMillis) {
            return new Request("arm-confirm", null, current, target, stateDirectory, null, List.of(token), null, null, previous,
                    timeoutMillis);
        }

        Request(String operation, ManifestEntry entry, List<ManifestEntry> entries, String target, String stateDirectory,
                String command, List<String> paths) {
            this(operation, entry, entries, target, stateDirectory, command, paths, null, null);
        }

        static Request of(String operation) {
            return new Request(operation, null, null, null, null, null, null);
        }

        /** {@code logs}: the instance's last {@code lines}, or those after {@code position} (null: none). */
        static Request log(ManifestEntry entry, int lines, String position) {
            return new Request("logs", entry, null, null, null, null, null, lines, position);
        }

        static Request of(String operation, ManifestEntry entry) {
            return new Request(operation, entry, null, null, null, null, null);
        }

        static Request onState(String operation, String target, String stateDirectory) {
            return new Request(operation, null, null, target, stateDirectory, null, null);
        }
    }

    /** The agent's answer. {@code error} is set when it failed; its {@code kind} says which exception to raise. */
    record Response(InstanceStatus status, Boolean present, List<String> paths, String holder, List<String> warnings, Failure error,
            InstanceLog log, List<dev.beckon.planner.store.Snapshots.Snapshot> snapshots, List<InstanceStatus> statuses) {
        Response(InstanceStatus status, Boolean present, List<String> paths, String holder, List<String> warnings, Failure error) {
            this(status, present, paths, holder, warnings, error, null, null);
        }

        Response(InstanceStatus status, Boolean present, List<String> paths, String holder, List<String> warnings, Failure error,
                InstanceLog log, List<dev.beckon.planner.store.Snapshots.Snapshot> snapshots) {
            this(status, present, paths, holder, warnings, error, log, snapshots, null);
        }

        /** The answer to query of several entries: one status per entry asked, in the order asked. */
        static Response ofStatuses(List<InstanceStatus> statuses) {
            return new Response(null, null, null, null, null, null, null, null, statuses);
        }

        static Response done() {
            return new Response(null, null, null, null, null, null);
        }

        /** The answer to take-snapshot (the one taken) and list-snapshots (newest first). */
        static Response of(List<dev.beckon.planner.store.Snapshots.Snapshot> snapshots) {
            return new Response(null, null, null, null, null, null, null, snapshots);
        }
    }

    /** A failure on the target: {@code activation} (a module's), {@code planning} (a lock, the store) or {@code locked}. */
    record Failure(String kind, String instance, String message, List<String> logTail) {}
}
