package dev.beckon.planner.manifest;

import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.store.Store;
import dev.beckon.activation.ActivationException;
import dev.beckon.activation.ActivationModule;
import dev.beckon.activation.RenderedFile;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.models.Durations;
import dev.beckon.models.InstanceSpec;
import dev.beckon.models.Knob;
import dev.beckon.models.SystemModel;
import dev.beckon.models.Target;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Turns a model into the manifest of what should run: one entry per instance, with its package's
 * place in the target's store, its content hash and the files its module would write.
 */
public final class ManifestResolver {
    private final ModuleFinder modules;
    private final Function<Target, Path> stateDirectories;
    /** Modules found once per type and state directory: finding one scans the class path (ServiceLoader). */
    private final Map<String, ActivationModule> found = new java.util.concurrent.ConcurrentHashMap<>();

    private final SecretValues secretValues;
    private final SecretHashes secretHashes;
    /** Each service's secrets are read once per resolver, however many targets it runs on: a command may ask for a passphrase. */
    private final Map<String, SortedMap<String, byte[]>> readSecrets = new HashMap<>();
    /** Where the external modules of SSH targets render; null: every module is found on this machine. */
    private OnTarget onTargets;
    /** Whether the last manifest resolved depends on its model's files and packages alone (see {@link #dependsOnlyOnFiles}). */
    private boolean onlyFiles;
    /** Whether a type is built in, once per type: finding out scans the class path. */
    private final Map<String, Boolean> builtIn = new java.util.concurrent.ConcurrentHashMap<>();

    /** Renders an instance's files on its target, by the module found there. */
    @FunctionalInterface
    public interface OnTarget {
        /**
         * @param entry the instance's entry, complete but for its files
         * @return the files the module there renders, by name
         */
        SortedMap<String, String> render(Manifest.TargetRecord target, ManifestEntry entry) throws PlanningException;
    }

    /**
     * Renders the instances of SSH targets whose module is not built in on their target, by the module there: the one
     * that activates them, which may exist only there ({@code STATE_DIR/modules} of the target). Built-in modules render
     * here, the same code as there.
     */
    public ManifestResolver renderingOnTargets(OnTarget onTargets) {
        this.onTargets = onTargets;
        return this;
    }

    /** A resolver whose secrets' values are dropped and hashed under a key of this process (benchmarks, tests). */
    public ManifestResolver(ModuleFinder modules, Function<Target, Path> stateDirectories) {
        this(modules, stateDirectories, new SecretValues(), SecretHashes.ephemeral());
    }

    /**
     * @param secretValues where the values of the secrets read go, for the deployment that writes them to the targets
     * @param secretHashes how their values are hashed for the manifest
     */
    public ManifestResolver(ModuleFinder modules, Function<Target, Path> stateDirectories, SecretValues secretValues,
            SecretHashes secretHashes) {
        this.modules = modules;
        this.stateDirectories = stateDirectories;
        this.secretValues = secretValues;
        this.secretHashes = secretHashes;
    }

    /**
     * Resolves every instance of the model.
     *
     * @throws PlanningException when a package cannot be read or a module cannot render an instance
     */
    public Manifest resolve(SystemModel model, String profile) throws PlanningException {
        Map<Path, String> packageHashes = new HashMap<>();
        SortedMap<String, Manifest.TargetRecord> targets = new TreeMap<>();
        for (Target target : model.targets().values()) {
            targets.put(target.name(), new Manifest.TargetRecord(target.name(), target.host().toString(), target.hostname(),
                    stateDirectories.apply(target).toString()));
        }
        // Grouped by service in one pass: looking through every instance for each service was quadratic.
        Map<String, List<InstanceSpec>> byService = new HashMap<>();
        for (InstanceSpec spec : model.instances()) {
            byService.computeIfAbsent(spec.service().name(), k -> new ArrayList<>()).add(spec);
        }
        List<InstanceSpec> ordered = new ArrayList<>();
        for (String service : model.activationOrder()) {
            ordered.addAll(byService.getOrDefault(service, List.of()));
        }
        // What instances share, or what may ask the user or another machine, first and in order: package hashes, secrets,
        // which instances their SSH target renders. Then each instance on its own, on every core: its hash and its
        // rendering were most of resolving.
        boolean[] renderedOnTarget = new boolean[ordered.size()];
        boolean filesAlone = true;
        for (int i = 0; i < ordered.size(); i++) {
            InstanceSpec spec = ordered.get(i);
            Optional<Path> source = spec.service().packagePath();
            if (source.isPresent() && !packageHashes.containsKey(source.get())) {
                try {
                    packageHashes.put(source.get(), PackageDigest.of(source.get()));
                } catch (IOException e) {
                    throw new PlanningException(spec.id() + ": cannot read its package " + source.get() + ": " + e.getMessage(), e);
                }
            }
            secrets(spec.service());
            renderedOnTarget[i] = onTargets != null && !spec.target().host().isLocal() && !isBuiltIn(spec.service().type());
            filesAlone &= spec.service().secrets().isEmpty() && isBuiltIn(spec.service().type());
        }
        onlyFiles = filesAlone;
        Object[] resolved = new Object[ordered.size()];
        java.util.stream.IntStream.range(0, ordered.size()).parallel().forEach(i -> {
            InstanceSpec spec = ordered.get(i);
            if (renderedOnTarget[i]) {
                return; // rendered by its target, over the connection to it: one request at a time, below
            }
            resolved[i] = attempt(() -> resolve(spec, profile, targets.get(spec.target().name()), stateDirectories.apply(spec.target()),
                    packageHashes));
        });
        List<ManifestEntry> entries = new ArrayList<>();
        for (int i = 0; i < ordered.size(); i++) {
            InstanceSpec spec = ordered.get(i);
            Object outcome = !renderedOnTarget[i] ? resolved[i]
                    : attempt(() -> resolve(spec, profile, targets.get(spec.target().name()), stateDirectories.apply(spec.target()), packageHashes));
            // The first instance, in the model's order, that cannot be resolved is the one reported, as one at a time did.
            if (outcome instanceof PlanningException e) {
                throw e;
            }
            if (outcome instanceof RuntimeException e) {
                throw e;
            }
            entries.add((ManifestEntry) outcome);
        }
        return new Manifest(Manifest.FORMAT_VERSION, profile, targets, entries);
    }

    /**
     * Whether the manifest {@link #resolve(SystemModel, String)} gave last depends on nothing but the model's files,
     * its packages' files, the environment and this build of beckon: no secret was read (from a file, a command, a
     * prompt), and every module was a built-in one (an external module's rendering may read anything; one on an SSH
     * target is asked there). Then {@link ResolvedInputs} may recognise the same inputs again without resolving.
     */
    public boolean dependsOnlyOnFiles() {
        return onlyFiles;
    }

    /** What resolving one instance may end in, as a value: its entry, or what was thrown. */
    private interface Resolving {
        ManifestEntry run() throws PlanningException;
    }

    private static Object attempt(Resolving resolving) {
        try {
            return resolving.run();
        } catch (PlanningException | RuntimeException e) {
            return e;
        }
    }

    /** One instance; its package's hash, its service's secrets and its module were found before, by {@link #resolve(SystemModel, String)}. */
    private ManifestEntry resolve(InstanceSpec spec, String profile, Manifest.TargetRecord target, Path stateDirectory,
            Map<Path, String> packageHashes)
            throws PlanningException {
        Optional<Path> source = spec.service().packagePath();
        String packageHash = "";
        Optional<Path> packageOnTarget = Optional.empty();
        if (source.isPresent()) {
            packageHash = packageHashes.get(source.get());
            packageOnTarget = Optional.of(Store.packagePath(stateDirectory, packageHash, source.get()));
        }
        // The instance directory's name holds the hash, so the hash is taken over the instance without it; and without
        // where the package was found, since a package is what it holds (its hash), wherever the model is.
        ServiceInstance unplaced = withClassData(spec, ServiceInstance.of(spec, profile, packageOnTarget, Path.of(""), stateDirectory));
        SortedMap<String, String> endpoints = new TreeMap<>();
        spec.dependencies().forEach((name, endpoint) -> endpoints.put(name, endpoint.target() + " " + endpoint.hostname() + " "
                + endpoint.ports().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(","))));
        String stateSize = spec.service().state().map(state -> dev.beckon.models.Sizes.format(state.size())).orElse("");
        SortedMap<String, byte[]> secrets = secrets(spec.service());
        SortedMap<String, String> secretHashes = new TreeMap<>();
        for (Map.Entry<String, byte[]> secret : secrets.entrySet()) {
            secretHashes.put(secret.getKey(), this.secretHashes.of(spec.service().name(), secret.getKey(), secret.getValue()));
        }
        ManifestEntry withoutHash = entry(spec.service(), unplaced, "", Optional.empty(), packageHash, spec.service().dependsOn(), endpoints,
                new TreeMap<>(), stateSize).withSecrets(secretHashes);
        String hash = ManifestJson.digest(new Manifest(Manifest.FORMAT_VERSION, profile, new TreeMap<>(), List.of(withoutHash)))
                .substring(0, 32);
        ServiceInstance instance = withClassData(spec, ServiceInstance.of(spec, profile, packageOnTarget,
                Store.instanceDirectory(stateDirectory, hash, spec.service().name()), stateDirectory));
        SortedMap<String, String> files = new TreeMap<>();
        try {
            if (onTargets != null && !spec.target().host().isLocal() && !isBuiltIn(instance.type())) {
                files.putAll(onTargets.render(target, entry(spec.service(), instance, hash, source, packageHash, spec.service().dependsOn(),
                        endpoints, new TreeMap<>(), stateSize).withSecrets(secretHashes)));
            } else {
                ActivationModule module = moduleFor(instance.type(), stateDirectory);
                for (RenderedFile file : module.render(instance).files()) {
                    files.put(file.name(), file.content());
                }
            }
        } catch (ActivationException e) {
            throw new PlanningException(e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new PlanningException(spec.id() + ": " + e.getMessage(), e);
        }
        ManifestEntry entry = entry(spec.service(), instance, hash, source, packageHash, spec.service().dependsOn(), endpoints, files,
                stateSize).withSecrets(secretHashes);
        if (!secrets.isEmpty()) {
            secretValues.put(entry.id(), secretHashes, secrets);
        }
        return entry;
    }

    /** The values of the service's secrets, read on this machine once per resolver. */
    private SortedMap<String, byte[]> secrets(dev.beckon.models.Service service) throws PlanningException {
        SortedMap<String, byte[]> values = readSecrets.get(service.name());
        if (values == null) {
            values = new TreeMap<>();
            for (dev.beckon.models.Secret secret : service.secrets().values()) {
                try {
                    values.put(secret.name(), dev.beckon.models.SecretSources.read(service.name(), secret));
                } catch (dev.beckon.models.SecretSources.SecretException e) {
                    throw new PlanningException(e.getMessage() + ". Nothing was changed.", e);
                }
            }
            readSecrets.put(service.name(), values);
        }
        return values;
    }

    private static ManifestEntry entry(dev.beckon.models.Service service, ServiceInstance instance, String hash, Optional<Path> source, String packageHash,
            List<String> dependsOn, SortedMap<String, String> endpoints, SortedMap<String, String> files,
            String stateSize) {
        return new ManifestEntry(instance.service(), instance.target(), instance.type(), hash, instance.description(),
                instance.exec(), instance.environment(), instance.ports(),
                instance.onDemand().map(a -> a.listen().stream().map(Object::toString).toList()).orElse(List.of()),
                instance.onDemand().map(a -> Durations.format(a.idleTimeout())).orElse("0"),
                instance.onDemand().map(ServiceInstance.Activation::accept).orElse(false),
                instance.isOnDemand(),
                source.map(Path::toString).orElse(""), packageHash,
                instance.packagePath().map(Path::toString).orElse(""),
                instance.instanceDirectory().toString(), instance.container(), instance.stateDirectory().toString(),
                dependsOn, endpoints, files, instance.onDemand().map(a -> a.pass().modelName()).orElse(""),
                instance.onDemand().map(a -> a.startLimit().toString()).orElse(""),
                instance.stopTimeout().map(Durations::format).orElse(""), ReadinessEntry.of(instance.readiness()),
                ClassDataArchive.wanted(service, instance.exec(), instance.isOnDemand())
                        ? ClassDataArchive.path(instance.instanceDirectory()).toString() : "", service.knobs(), stateSize, instance.limits().toMap(),
                instance.hardening().toMap());
    }

    /** The instance with its class-data archive on its command line, when it gets one (see {@link ClassDataArchive#wanted}). */
    private static ServiceInstance withClassData(InstanceSpec spec, ServiceInstance instance) {
        if (!ClassDataArchive.wanted(spec.service(), instance.exec(), instance.isOnDemand())) {
            return instance;
        }
        return instance.withExec(ClassDataArchive.using(instance.exec(), ClassDataArchive.path(instance.instanceDirectory())));
    }

    private boolean isBuiltIn(String type) {
        return builtIn.computeIfAbsent(type, t -> dev.beckon.activation.ActivationModules.builtIn(t).isPresent());
    }

    /** Synchronized: instances are resolved on several threads at once, and finding a module is not to be done twice. */
    private synchronized ActivationModule moduleFor(String type, Path stateDirectory) throws ActivationException {
        String key = type + "\0" + stateDirectory;
        ActivationModule module = found.get(key);
        if (module == null) {
            module = modules.forType(type, stateDirectory);
            found.put(key, module);
        }
        return module;
    }
}
