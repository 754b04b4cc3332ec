import { useId } from "react";

import { useForm } from "../../editor/forms/context";
import { moveIndex, removeIndex, replaceAt, withList, withOptional } from "../../editor/forms/edit";
import { CodeInput, Issues, SelectInput, TemplateInput, TextInput } from "../../editor/forms/fields";
import { arrayOf } from "../../flow/read";
import type { FlowDocument, HandoffNode, HandoffRoute } from "../../flow/types";
import { useI18n } from "../../i18n";
import type { NodeFormProps } from "../kind";
import { queueLabel } from "../lookup";
import { PortField } from "../shared/PortField";
import { conditionOf, newRoute, PRESETS, presetOf, takesValue, withPreset, type PresetChoice } from "./routes";

type HandoffTarget = "queue" | "phone" | "sip";

/**
 * A queue: one of the tenant's, by name. A template (`{{vars.queue}}`) or a tenant without
 * queues (or a list that cannot be had) is typed as text; a key the tenant lacks stays, marked.
 */
function QueuePicker({ label, value, path, testId, onChange }: { label: string; value: string; path: string; testId: string; onChange: (queue: string) => void }) {
  const { t, lang } = useI18n();
  const { queues } = useForm();
  if (!queues || queues.length === 0 || value.includes("{{")) {
    return (
      <TemplateInput
        label={label}
        help={t(queues && queues.length === 0 ? "handoff.queueNone" : "handoff.queueHelp")}
        value={value}
        path={path}
        testId={testId}
        onChange={onChange}
      />
    );
  }
  const options = [
    { value: "", label: t("handoff.queuePick") },
    ...queues.map((queue) => ({ value: queue.key, label: queueLabel(queue, lang) })),
  ];
  if (value && !queues.some((queue) => queue.key === value)) {
    options.push({ value, label: t("handoff.queueUnknown", { key: value }) });
  }
  return <SelectInput label={label} help={t("handoff.queuePickHelp")} value={value} options={options} path={path} testId={testId} onChange={onChange} />;
}

/** The intents a rule may name: the flow's own, each once. */
function intentNames(doc: FlowDocument): string[] {
  const names = new Set<string>();
  const add = (intents: unknown) => {
    for (const intent of arrayOf(intents)) {
      const name = intent.name;
      if (typeof name === "string" && name) names.add(name);
    }
  };
  add(doc.global_intents);
  for (const node of doc.nodes) add((node as { intents?: unknown }).intents);
  return [...names].sort();
}

/** The ordered routing rules: first match wins, the node's own queue for everyone else. */
function RoutesEditor({ node, change }: NodeFormProps<HandoffNode>) {
  const { t } = useI18n();
  const { readOnly, doc } = useForm();
  const routes = node.routes ?? [];
  const listId = useId();
  const setRoutes = (next: HandoffRoute[], field = "routes") => change((n) => withList(n, "routes", next), field);
  // The level as the condition has it, so that the reason never says more than the rule does.
  const labelOf = (choice: PresetChoice) =>
    choice.preset === "custom"
      ? ""
      : t(`handoff.reason.${choice.preset}`, { intent: choice.value.trim(), level: presetOf(conditionOf(choice)).value });
  const intents = intentNames(doc);
  return (
    <fieldset className="field handoff-routes" data-testid="handoff-routes">
      <legend>{t("handoff.routes")}</legend>
      <p className="field-help">{t("handoff.routesHelp")}</p>
      <datalist id={listId}>
        {intents.map((name) => (
          <option key={name} value={name} />
        ))}
      </datalist>
      {routes.map((route, index) => {
        const choice = presetOf(route.when);
        const update = (next: HandoffRoute, field?: string) => setRoutes(replaceAt(routes, index, next), field);
        return (
          <fieldset key={index} className="card" data-testid="handoff-route">
            <legend>{t("handoff.route", { n: index + 1 })}</legend>
            <SelectInput
              label={t("handoff.routePreset")}
              value={choice.preset}
              options={PRESETS.map((preset) => ({ value: preset, label: t(`handoff.preset.${preset}`) }))}
              testId="route-preset"
              onChange={(preset) => update(withPreset(route, { preset, value: preset === choice.preset ? choice.value : "" }, labelOf), `routes/${index}/when`)}
            />
            {takesValue(choice.preset) && (
              <TextInput
                label={t(choice.preset === "intent" ? "handoff.presetIntent" : "handoff.presetVip")}
                help={choice.preset === "vip" ? t("handoff.presetVipHelp") : undefined}
                value={choice.value}
                list={choice.preset === "intent" ? listId : undefined}
                testId="route-preset-value"
                onChange={(value) => update(withPreset(route, { preset: choice.preset, value }, labelOf), `routes/${index}/when`)}
              />
            )}
            <CodeInput
              label={t("handoff.when")}
              help={index === 0 ? t("handoff.whenHelp") : undefined}
              value={route.when}
              path={`/routes/${index}/when`}
              mode="expression"
              placeholder='call.emotion == "angry"'
              testId="route-when"
              onChange={(when) => update({ ...route, when }, `routes/${index}/when`)}
            />
            <QueuePicker
              label={t("handoff.routeQueue")}
              value={route.queue}
              path={`/routes/${index}/queue`}
              testId="route-queue"
              onChange={(queue) => update({ ...route, queue }, `routes/${index}/queue`)}
            />
            <TextInput
              label={t("handoff.routeLabel")}
              help={t("handoff.routeLabelHelp")}
              value={route.label}
              path={`/routes/${index}/label`}
              testId="route-label"
              onChange={(label) => update(withOptional(route, "label", label), `routes/${index}/label`)}
            />
            {!readOnly && (
              <div className="card-actions">
                <button type="button" onClick={() => setRoutes(moveIndex(routes, index, -1))} disabled={index === 0} aria-label={t("common.moveUpItem", { item: t("handoff.route", { n: index + 1 }) })}>
                  ↑
                </button>
                <button
                  type="button"
                  onClick={() => setRoutes(moveIndex(routes, index, 1))}
                  disabled={index === routes.length - 1}
                  aria-label={t("common.moveDownItem", { item: t("handoff.route", { n: index + 1 }) })}
                >
                  ↓
                </button>
                <button type="button" className="danger-text" onClick={() => setRoutes(removeIndex(routes, index))}>
                  {t("handoff.removeRoute")}
                </button>
              </div>
            )}
          </fieldset>
        );
      })}
      {!readOnly && (
        <button type="button" className="add-button" data-testid="add-route" onClick={() => setRoutes([...routes, newRoute("", labelOf)])}>
          ＋ {t("handoff.addRoute")}
        </button>
      )}
      <Issues path="/routes" />
    </fieldset>
  );
}

export function HandoffForm({ node, change }: NodeFormProps<HandoffNode>) {
  const { t } = useI18n();
  const { readOnly, queues } = useForm();
  const queuesKnown = !!queues && queues.length > 0 && !(node.queue ?? "").includes("{{");
  const kind: HandoffTarget = node.phone != null ? "phone" : node.sip != null ? "sip" : "queue";
  const setKind = (next: HandoffTarget) =>
    change((n) => {
      const value = n[kind] ?? "";
      const copy = { ...n };
      delete copy.queue;
      delete copy.phone;
      delete copy.sip;
      return { ...copy, [next]: value };
    });
  return (
    <>
      <fieldset className="field">
        <legend>{t("handoff.target")}</legend>
        <div className="radio-row" role="radiogroup">
          {(["queue", "phone", "sip"] as HandoffTarget[]).map((option) => (
            <label key={option}>
              <input type="radio" name={`handoff-${node.id}`} checked={kind === option} disabled={readOnly} onChange={() => setKind(option)} />
              {t(`handoff.${option}`)}
            </label>
          ))}
        </div>
      </fieldset>
      {kind === "queue" ? (
        <>
          <QueuePicker
            label={t(node.routes?.length ? "handoff.fallbackQueue" : queuesKnown ? "handoff.queue" : "handoff.queueValue")}
            value={node.queue ?? ""}
            path="/queue"
            testId="handoff-target"
            onChange={(queue) => change((n) => ({ ...n, queue }), "queue")}
          />
          <RoutesEditor node={node} change={change} />
        </>
      ) : (
        <TemplateInput
          label={t(`handoff.${kind}Value`)}
          help={t(`handoff.${kind}Help`)}
          value={node[kind] ?? ""}
          path={`/${kind}`}
          testId="handoff-target"
          onChange={(value) => change((n) => ({ ...n, [kind]: value }), kind)}
        />
      )}
      <TemplateInput
        label={t("handoff.message")}
        help={t("handoff.messageHelp")}
        value={node.message}
        path="/message"
        multiline
        onChange={(message) => change((n) => withOptional(n, "message", message), "message")}
      />
      <TemplateInput
        label={t("handoff.summary")}
        help={t("handoff.summaryHelp")}
        value={node.summary}
        path="/summary"
        multiline
        testId="handoff-summary"
        onChange={(summary) => change((n) => withOptional(n, "summary", summary), "summary")}
      />
      <PortField node={node} change={change} label={t("port.handoff.next")} help={t("handoff.nextHelp")} path={["next"]} optional />
      <PortField node={node} change={change} label={t("port.no_answer")} help={t("handoff.defaultsToError")} path={["no_answer"]} optional />
      <PortField node={node} change={change} label={t("port.busy")} help={t("handoff.defaultsToError")} path={["busy"]} optional />
      <PortField node={node} change={change} label={t("port.handoff.error")} path={["error"]} />
    </>
  );
}
