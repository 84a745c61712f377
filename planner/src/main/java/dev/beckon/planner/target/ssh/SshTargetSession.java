package dev.beckon.planner.target.ssh;

import dev.beckon.activation.ActivationException;
import dev.beckon.activation.InstanceLog;
import dev.beckon.activation.InstanceStatus;
import dev.beckon.models.Durations;
import dev.beckon.models.Messages;
import dev.beckon.models.TargetHost;
import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.target.TargetSession;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A target reached over SSH. beckon copies its own runtime (the jars it runs from, each by content hash, once) into the
 * target's store, starts its agent there with the target's {@code java}, and drives it over the one
 * multiplexed connection. Packages go into the target's store compressed, only when missing.
 */
public final class SshTargetSession implements TargetSession {
    private static final int STDERR_LINES = 20;

    private final String target;
    private final SshConnection ssh;
    private final Process agent;
    /** What is kept of one line the agent writes to its standard error. */
    private static final int STDERR_LINE_CHARACTERS = 500;

    private final BufferedWriter requests;
    private final AgentLines responses;
    private final Duration callTimeout;
    private final Duration greetingTimeout;
    private final String beforeConfirm;
    private final Deque<String> agentErrors = new ArrayDeque<>();

    private SshTargetSession(String target, SshConnection ssh, Process agent, Map<String, String> environment) {
        this.target = target;
        this.ssh = ssh;
        this.agent = agent;
        this.callTimeout = AgentLines.limit(environment, AgentLines.CALL_TIMEOUT_VARIABLE, AgentLines.DEFAULT_CALL_TIMEOUT);
        this.greetingTimeout = AgentLines.limit(environment, AgentLines.GREETING_TIMEOUT_VARIABLE, AgentLines.DEFAULT_GREETING_TIMEOUT);
        this.beforeConfirm = environment.get(BEFORE_CONFIRM_VARIABLE);
        this.requests = new BufferedWriter(new OutputStreamWriter(agent.getOutputStream(), StandardCharsets.UTF_8));
        this.responses = new AgentLines(agent.getInputStream(), target);
        Thread errors = new Thread(() -> {
            try (var err = agent.getErrorStream()) {
                for (String line; (line = boundedLine(err)) != null; ) {
                    synchronized (agentErrors) {
                        agentErrors.addLast(Messages.printable(line));
                        if (agentErrors.size() > STDERR_LINES) {
                            agentErrors.removeFirst();
                        }
                    }
                }
            } catch (IOException ignored) {
                // The agent is gone; what it said so far is kept.
            }
        }, "beckon-agent-stderr-" + target);
        errors.setDaemon(true);
        errors.start();
    }

    /**
     * Connects, brings beckon's runtime to the target if it is not there, and starts the agent.
     *
     * @throws ActivationException naming the target, with SSH's or the agent's own words, when any of it fails
     */
    public static SshTargetSession open(Manifest.TargetRecord target, TargetHost host, String profile, Map<String, String> environment)
            throws ActivationException {
        SshConnection ssh = SshConnection.open(target.name(), host, environment);
        try {
            String classpath = AgentRuntime.install(ssh, target.name(), Path.of(target.stateDirectory()));
            Process agent = ssh.command(List.of("java", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", classpath,
                    TargetAgent.class.getName(), profile)).start();
            SshTargetSession session = new SshTargetSession(target.name(), ssh, agent, environment);
            session.greet();
            return session;
        } catch (IllegalArgumentException e) {
            ssh.close();
            throw new ActivationException(target.name(), e.getMessage(), e);
        } catch (IOException e) {
            ssh.close();
            throw new ActivationException(target.name(), "cannot start beckon's agent over SSH: " + e.getMessage(), e);
        } catch (ActivationException | RuntimeException e) {
            ssh.close();
            throw e;
        }
    }

    /**
     * A line of the agent's standard error, of which only the first {@value #STDERR_LINE_CHARACTERS} characters are
     * kept, however long it is; null at the end.
     */
    private static String boundedLine(java.io.InputStream in) throws IOException {
        java.io.ByteArrayOutputStream kept = new java.io.ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (kept.size() < STDERR_LINE_CHARACTERS) {
                kept.write(c);
            }
        }
        return c < 0 && kept.size() == 0 ? null : kept.toString(StandardCharsets.UTF_8);
    }

    private void greet() throws ActivationException {
        String line = readLine("greet", greetingTimeout, AgentLines.GREETING_TIMEOUT_VARIABLE);
        AgentProtocol.Hello hello;
        try {
            hello = AgentProtocol.JSON.readValue(line, AgentProtocol.Hello.class);
        } catch (IOException e) {
            throw agentFailure("beckon's agent did not greet as expected (" + Messages.quote(shortened(line)) + ")");
        }
        if (hello == null) {
            throw agentFailure("beckon's agent did not greet as expected (" + Messages.quote(shortened(line)) + ")");
        }
        if (hello.protocol() != AgentProtocol.VERSION) {
            throw new ActivationException(target, "beckon's agent there speaks protocol " + hello.protocol() + ", this beckon "
                    + AgentProtocol.VERSION);
        }
    }

    /**
     * The agent's next line, within {@code limit}. An agent that is past its time, ended, or broke the protocol's bounds
     * is stopped: what it would say next could belong to an earlier question.
     */
    private String readLine(String operation, Duration limit, String variable) throws ActivationException {
        try {
            Optional<String> line = responses.next(limit);
            if (line.isEmpty()) {
                agent.destroyForcibly();
                throw agentFailure("beckon's agent did not answer " + operation + " within " + Durations.format(limit) + " (" + variable
                        + " sets that limit), so it was stopped");
            }
            return line.get();
        } catch (AgentLines.EndedException e) {
            agent.destroyForcibly();
            throw agentFailure("beckon's agent ended: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw agentFailure("interrupted while waiting for beckon's agent");
        }
    }

    /** A forged or garbled line as an error shows it: its start only. */
    private static String shortened(String line) {
        return line.length() <= 200 ? line : line.substring(0, 200) + "…";
    }

    private ActivationException agentFailure(String what) {
        try {
            agent.waitFor(2, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<String> said;
        synchronized (agentErrors) {
            said = List.copyOf(agentErrors);
        }
        return new ActivationException(target, what + (agent.isAlive() ? "" : " (exit " + agent.exitValue() + ")")
                + (said.isEmpty() ? "" : ": " + String.join(" | ", said)));
    }

    private synchronized AgentProtocol.Response call(AgentProtocol.Request request) throws ActivationException {
        try {
            requests.write(AgentProtocol.JSON.writeValueAsString(request));
            requests.newLine();
            requests.flush();
        } catch (IOException e) {
            throw agentFailure("cannot send to beckon's agent: " + e.getMessage());
        }
        String line = readLine(request.operation(), callTimeout, AgentLines.CALL_TIMEOUT_VARIABLE);
        AgentProtocol.Response response;
        try {
            response = AgentProtocol.JSON.readValue(line, AgentProtocol.Response.class);
        } catch (IOException e) {
            response = null;
        }
        if (response == null) {
            throw agentFailure("beckon's agent answered what is not a response (" + Messages.quote(shortened(line)) + ")");
        }
        response = PrintableResponses.of(response);
        if (response.error() != null) {
            AgentProtocol.Failure failure = response.error();
            throw new ActivationException(failure.instance() == null ? target : failure.instance(), String.valueOf(failure.message()),
                    failure.logTail() == null ? List.of() : failure.logTail(), null);
        }
        return response;
    }

    private AgentProtocol.Response callForPlanning(AgentProtocol.Request request) throws PlanningException {
        try {
            return call(request);
        } catch (ActivationException e) {
            throw forPlanning(e);
        }
    }

    /** A failure on the target, said as planning says it: the target named, the agent's words after it. */
    private PlanningException forPlanning(ActivationException e) {
        return new PlanningException("target " + target + ": " + e.getMessage().substring(e.instance().length() + 2), e);
    }

    @Override
    public Handle lockTarget(String name, Path stateDirectory, String command, Consumer<String> warnings) throws PlanningException {
        AgentProtocol.Response response = callForPlanning(new AgentProtocol.Request("lock-target", null, null, name,
                stateDirectory.toString(), command, null));
        if (response.warnings() != null) {
            response.warnings().forEach(warnings);
        }
        return () -> callForPlanning(AgentProtocol.Request.onState("release-target", name, stateDirectory.toString()));
    }

    @Override
    public Optional<String> removeStaleLock(Path stateDirectory) throws PlanningException {
        return Optional.ofNullable(callForPlanning(AgentProtocol.Request.onState("remove-stale-lock", target,
                stateDirectory.toString())).holder());
    }

    @Override
    public List<Path> putPackage(ManifestEntry entry) throws PlanningException {
        AgentProtocol.Response prepared = callForPlanning(AgentProtocol.Request.of("prepare-package", entry));
        List<Path> added = new ArrayList<>(prepared.paths() == null ? List.of() : prepared.paths().stream().map(Path::of).toList());
        if (Boolean.TRUE.equals(prepared.present())) {
            return added;
        }
        Path source = Path.of(entry.packageSource());
        if (!Files.exists(source)) {
            throw new PlanningException(entry.id() + ": its package " + entry.packagePath() + " is not in the store of " + target
                    + ", and " + source + " is gone");
        }
        try {
            AgentRuntime.copy(ssh, target, "copying " + source.getFileName() + " into the store", source.getParent(),
                    List.of(source.getFileName().toString()), Path.of(entry.packagePath()));
            added.add(Path.of(entry.packagePath()));
            call(AgentProtocol.Request.of("seal-package", entry));
            return added;
        } catch (ActivationException e) {
            throw new PlanningException(entry.id() + ": cannot put its package into the store of " + target + ": " + e.getMessage(), e);
        }
    }

    /** The values travel in the request on the agent's standard input, base64 in {@code NAME=VALUE} paths; never in an argument. */
    @Override
    public void putSecrets(ManifestEntry entry, Optional<java.util.SortedMap<String, byte[]>> values) throws PlanningException {
        if (entry.secrets().isEmpty()) {
            return;
        }
        List<String> encoded = new ArrayList<>();
        values.ifPresent(v -> v.forEach((name, value) -> encoded.add(name + "=" + java.util.Base64.getEncoder().encodeToString(value))));
        callForPlanning(new AgentProtocol.Request(values.isPresent() ? "put-secrets" : "check-secrets", entry, null, target, null, null,
                encoded));
    }

    @Override
    public Optional<String> makeClassDataArchive(ManifestEntry entry) {
        if (entry.classDataArchive().isEmpty()) {
            return Optional.empty();
        }
        // On the target: the training start runs the service's own command, with the JDK the service runs.
        try {
            List<String> line = callForPlanning(AgentProtocol.Request.of("make-class-data-archive", entry)).warnings();
            return line == null ? Optional.empty() : line.stream().findFirst();
        } catch (PlanningException e) {
            return Optional.of("no class-data archive for " + entry.id() + ": " + e.getMessage() + "; it starts without one");
        }
    }

    @Override
    public void removeFromStore(Path stateDirectory, List<Path> entries) throws PlanningException {
        callForPlanning(new AgentProtocol.Request("remove-from-store", null, null, target, stateDirectory.toString(), null,
                entries.stream().map(Path::toString).toList()));
    }

    /** The agent answers with the files' names and contents in turn, as {@code paths}. */
    @Override
    public java.util.SortedMap<String, String> render(ManifestEntry entry) throws ActivationException {
        List<String> answer = call(AgentProtocol.Request.of("render", entry)).paths();
        if (answer == null || answer.size() % 2 != 0) {
            throw new ActivationException(entry.id(), "the agent on " + target + " answered render with no files");
        }
        java.util.SortedMap<String, String> files = new java.util.TreeMap<>();
        for (int i = 0; i < answer.size(); i += 2) {
            // A file name goes into the instance directory: only a plain name, as the modules render them.
            if (!answer.get(i).matches("[A-Za-z0-9._@-]{1,100}") || answer.get(i).startsWith(".")) {
                throw new ActivationException(entry.id(), "the agent on " + target + " rendered a file named "
                        + Messages.quote(shortened(answer.get(i))) + ", which is not a plain file name");
            }
            files.put(answer.get(i), answer.get(i + 1));
        }
        return files;
    }

    @Override
    public void protectStoreEntries(Path stateDirectory, java.util.SortedSet<String> entries) throws PlanningException {
        callForPlanning(new AgentProtocol.Request("protect-store-entries", null, null, target, stateDirectory.toString(), null,
                List.copyOf(entries)));
    }

    @Override
    public void releaseStoreEntries(Path stateDirectory) throws PlanningException {
        callForPlanning(AgentProtocol.Request.onState("release-store-entries", target, stateDirectory.toString()));
    }

    @Override
    public void addStoreRoots(Path stateDirectory, java.util.SortedSet<String> entries) throws PlanningException {
        callForPlanning(new AgentProtocol.Request("add-store-roots", null, null, target, stateDirectory.toString(), null,
                List.copyOf(entries)));
    }

    /** The agent collects the store there; what it says it removed is checked and made printable before anyone sees it. */
    @Override
    public List<dev.beckon.planner.store.GarbageCollector.StoreEntry> collectStore(Path stateDirectory, java.util.SortedSet<String> kept,
            java.util.SortedSet<String> dropped, int keepSnapshots, boolean dryRun) throws PlanningException {
        List<String> names = new ArrayList<>();
        names.add(AgentProtocol.KEEP_SNAPSHOTS + keepSnapshots);
        kept.forEach(name -> names.add(AgentProtocol.KEPT + name));
        dropped.forEach(name -> names.add(AgentProtocol.DROPPED + name));
        List<String> answer = callForPlanning(new AgentProtocol.Request("collect-store", null, null, target, stateDirectory.toString(),
                dryRun ? AgentProtocol.DRY_RUN : AgentProtocol.COLLECT, names)).paths();
        List<dev.beckon.planner.store.GarbageCollector.StoreEntry> removed = new ArrayList<>();
        for (String line : answer == null ? List.<String>of() : answer) {
            java.util.regex.Matcher entry = AgentProtocol.REMOVED_ENTRY.matcher(line);
            if (!entry.matches()) {
                throw new PlanningException("target " + target + ": the agent's answer to collect-store is not one beckon sends ("
                        + Messages.quote(shortened(line)) + ")");
            }
            removed.add(new dev.beckon.planner.store.GarbageCollector.StoreEntry(Messages.printable(entry.group(2)),
                    Long.parseLong(entry.group(1))));
        }
        return removed;
    }

    @Override
    public void lock(ManifestEntry entry) throws ActivationException {
        call(AgentProtocol.Request.of("lock", entry));
    }

    @Override
    public void unlock(ManifestEntry entry) throws ActivationException {
        call(AgentProtocol.Request.of("unlock", entry));
    }

    @Override
    public void install(List<ManifestEntry> entries) throws ActivationException {
        call(new AgentProtocol.Request("install", null, new ArrayList<>(entries), null, null, null, null));
    }

    /** One request: the agent starts them together on the target, as a local session does. */
    @Override
    public void startTogether(List<ManifestEntry> entries) throws ActivationException {
        call(new AgentProtocol.Request("start-together", null, new ArrayList<>(entries), null, null, null, null));
    }

    @Override
    public void activate(ManifestEntry entry) throws ActivationException {
        call(AgentProtocol.Request.of("activate", entry));
    }

    @Override
    public void deactivate(ManifestEntry entry) throws ActivationException {
        call(AgentProtocol.Request.of("deactivate", entry));
    }

    @Override
    public InstanceStatus query(ManifestEntry entry) throws ActivationException {
        return call(AgentProtocol.Request.of("query", entry)).status();
    }

    /**
     * Entries asked about in one request: their answers, which carry a failed instance's log tail, stay far below the
     * longest line beckon reads from an agent ({@link AgentLines#MAX_LINE_BYTES}).
     */
    static final int QUERY_BATCH = 200;

    /** One request per batch of entries, not one per entry: a no-op plan of a target is one round trip. */
    @Override
    public java.util.Map<String, InstanceStatus> queryAll(List<ManifestEntry> entries) throws ActivationException {
        java.util.Map<String, InstanceStatus> byId = new java.util.LinkedHashMap<>();
        for (int from = 0; from < entries.size(); from += QUERY_BATCH) {
            List<ManifestEntry> batch = entries.subList(from, Math.min(entries.size(), from + QUERY_BATCH));
            List<InstanceStatus> statuses = call(new AgentProtocol.Request("query", null, new ArrayList<>(batch), null, null, null,
                    null)).statuses();
            if (statuses == null || statuses.size() != batch.size()) {
                throw new ActivationException(target, "the agent on " + target + " answered " + (statuses == null ? "no" : statuses.size())
                        + " statuses for " + batch.size() + " instances");
            }
            for (int i = 0; i < batch.size(); i++) {
                byId.put(batch.get(i).id(), statuses.get(i));
            }
        }
        return byId;
    }

    @Override
    public InstanceLog log(ManifestEntry entry, int lines, Optional<String> after) throws ActivationException {
        InstanceLog log = call(AgentProtocol.Request.log(entry, lines, after.orElse(null))).log();
        if (log == null) {
            throw new ActivationException(entry.id(), "the agent on " + target + " answered without its log");
        }
        return log;
    }

    @Override
    public java.util.Map<String, String> knobs(ManifestEntry entry) throws ActivationException {
        List<String> lines = call(AgentProtocol.Request.of("knobs", entry)).paths();
        java.util.Map<String, String> values = new java.util.LinkedHashMap<>();
        for (String line : lines == null ? List.<String>of() : lines) {
            int equals = line.indexOf('=');
            values.put(PrintableResponses.text(line.substring(0, Math.max(equals, 0))), PrintableResponses.text(line.substring(equals + 1)));
        }
        return values;
    }

    @Override
    public void setKnob(ManifestEntry entry, String name, String value) throws ActivationException {
        call(new AgentProtocol.Request("set-knob", entry, null, null, null, null, List.of(name, value)));
    }

    @Override
    public void flush() throws ActivationException {
        call(AgentProtocol.Request.of("flush"));
    }

    @Override
    public dev.beckon.planner.store.Snapshots.Snapshot takeSnapshot(ManifestEntry entry) throws PlanningException {
        return callForPlanning(AgentProtocol.Request.of("take-snapshot", entry)).snapshots().get(0);
    }

    @Override
    public List<dev.beckon.planner.store.Snapshots.Snapshot> snapshots(ManifestEntry entry) throws PlanningException {
        return callForPlanning(AgentProtocol.Request.of("list-snapshots", entry)).snapshots();
    }

    @Override
    public void recordDeployed(Path stateDirectory, dev.beckon.planner.target.DeployedRecord record) throws PlanningException {
        callForPlanning(new AgentProtocol.Request("record-deployed", null, null, target, stateDirectory.toString(), null,
                List.of(String.valueOf(record.generation()), new String(record.manifest(), java.nio.charset.StandardCharsets.UTF_8))));
    }

    @Override
    public Optional<dev.beckon.planner.target.DeployedRecord> deployed(Path stateDirectory) throws PlanningException {
        List<String> answer = callForPlanning(AgentProtocol.Request.onState("read-deployed", target, stateDirectory.toString())).paths();
        if (answer == null || answer.isEmpty()) {
            return Optional.empty();
        }
        if (answer.size() != 2 || !answer.get(0).matches("[1-9][0-9]{0,8}")) {
            throw new PlanningException(target + ": the agent's answer to read-deployed is not one beckon sends");
        }
        return Optional.of(new dev.beckon.planner.target.DeployedRecord(Integer.parseInt(answer.get(0)),
                answer.get(1).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    @Override
    public void restoreSnapshot(ManifestEntry entry, String id) throws PlanningException {
        callForPlanning(new AgentProtocol.Request("restore-snapshot", entry, null, null, null, null, List.of(id)));
    }

    /** The agent names the file (a regular file of the instance's snapshots), then it comes over the connection. */
    @Override
    public Path fetchSnapshot(ManifestEntry entry, String id, Path directory) throws PlanningException {
        String remote = callForPlanning(new AgentProtocol.Request("snapshot-path", entry, null, null, null, null, List.of(id)))
                .paths().get(0);
        Path local = directory.resolve(Path.of(remote).getFileName().toString());
        try {
            ssh.fetch("fetching snapshot " + id + " of " + entry.id(), remote, local);
        } catch (ActivationException e) {
            throw forPlanning(e);
        }
        return local;
    }

    /** Copied next to the instance's snapshots under a name of the agent's, which then keeps it and restores it. */
    @Override
    public void receiveSnapshot(ManifestEntry entry, Path snapshot, String id) throws PlanningException {
        String incoming = callForPlanning(new AgentProtocol.Request("prepare-incoming-snapshot", entry, null, null, null, null,
                List.of(id))).paths().get(0);
        try {
            AgentRuntime.copy(ssh, target, "copying snapshot " + id + " to " + entry.id(), snapshot.getParent(),
                    List.of(snapshot.getFileName().toString()), Path.of(incoming));
        } catch (ActivationException e) {
            throw forPlanning(e);
        }
        callForPlanning(new AgentProtocol.Request("receive-snapshot", entry, null, null, null, null, List.of(id)));
    }

    /** For the tests that cut the connection: a shell command run just before confirming. */
    static final String BEFORE_CONFIRM_VARIABLE = "BECKON_TEST_BEFORE_CONFIRM";

    @Override
    public Optional<Confirmation> armConfirmation(Path stateDirectory, List<ManifestEntry> current, List<ManifestEntry> previous,
            Duration timeout) throws ActivationException {
        String token = java.util.UUID.randomUUID().toString();
        long deadline = System.currentTimeMillis() + timeout.toMillis();
        call(AgentProtocol.Request.armConfirm(target, stateDirectory.toString(), token, current, previous, timeout.toMillis()));
        return Optional.of(new Confirmation() {
            @Override
            public boolean confirm() throws ActivationException {
                if (beforeConfirm != null && !beforeConfirm.isEmpty()) {
                    try {
                        new ProcessBuilder("/bin/sh", "-c", beforeConfirm).inheritIO().start().waitFor();
                    } catch (IOException e) {
                        throw new ActivationException(target, "cannot run " + BEFORE_CONFIRM_VARIABLE + ": " + e.getMessage(), e);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                long connectSeconds = Math.max(1, (deadline - System.currentTimeMillis()) / 1000);
                String answer = ssh.runOverNewConnection("confirming the deployment through a new SSH connection",
                        ConfirmWatchdog.confirmScript(stateDirectory, token), connectSeconds).strip();
                return answer.equals("confirmed");
            }

            @Override
            public List<String> outcome() throws ActivationException {
                List<String> lines = call(new AgentProtocol.Request("confirm-outcome", null, null, target, stateDirectory.toString(),
                        null, List.of(token))).paths();
                return lines == null ? List.of() : PrintableResponses.lines(lines);
            }

            @Override
            public long deadlineMillis() {
                return deadline;
            }
        });
    }

    @Override
    public void close() {
        try {
            if (agent.isAlive()) {
                call(AgentProtocol.Request.of("close"));
            }
            agent.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (ActivationException e) {
            // The agent is gone already; the connection below is closed all the same.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            agent.destroyForcibly();
            ssh.close();
        }
    }
}
