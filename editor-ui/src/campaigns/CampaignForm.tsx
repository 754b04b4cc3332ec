// A new campaign, or a draft's or a paused campaign's settings: whom to call (a published flow
// by title, a list by name, once or each day by a date field, with optional conditions), when
// (dates, daily hours, weekdays, holidays, time zone), how fast, how to try again, how often
// one person may be called, and what to do with an answering machine. The compliant defaults
// are filled in; every field error the server names is shown beside its field.

import { useEffect, useId, useMemo, useState } from "react";

import { api, ApiError, type FlowSummary } from "../api";
import { ErrorAlert } from "../components/ErrorAlert";
import { FieldProblems } from "../components/problems";
import { contactsApi, type ContactList } from "../contacts/api";
import { flowTitle } from "../flow/names";
import { problemMessage, useI18n, type MessageKey } from "../i18n";
import { CAMPAIGNS_HREF, campaignHref, navigate } from "../router";
import { campaignsApi, RETRY_RESULTS, type ConditionOp, type MachineAction, type TriggerKind } from "./api";
import { draftOfCampaign, inputOf, newDraft, serverProblems, unplacedProblems, type Draft } from "./form";
import "../contacts/style.css";
import "./style.css";

const OPS: ConditionOp[] = ["equals", "not_equals", "contains", "present", "absent"];
const TRIGGERS: TriggerKind[] = ["birthday", "lunar_birthday", "anniversary"];
const MACHINE: MachineAction[] = ["hang_up", "leave_message", "run_flow"];
/** Zones shops of this platform mostly sit in; any other IANA name may be typed. */
const TIME_ZONES = ["Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo", "Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles", "Australia/Sydney"];
/** Contacts read to learn a list's custom fields. */
const FIELD_SAMPLE = 200;

export function CampaignForm({ campaignId }: { campaignId?: string }) {
  const { t } = useI18n();
  const [draft, setDraft] = useState<Draft | null>(campaignId ? null : newDraft());
  const [name, setName] = useState("");
  const [flows, setFlows] = useState<FlowSummary[] | null>(null);
  const [lists, setLists] = useState<ContactList[] | null>(null);
  const [fields, setFields] = useState<string[]>([]);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [error, setError] = useState<unknown>(null);
  const [notNumbers, setNotNumbers] = useState<string[]>([]);
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const controller = new AbortController();
    const failed = (caught: unknown) => {
      if (!(caught instanceof DOMException && caught.name === "AbortError")) setLoadError(caught);
    };
    api.listFlows("", controller.signal).then((found) => setFlows(found), failed);
    contactsApi.lists(controller.signal).then((found) => setLists(found), failed);
    if (campaignId)
      campaignsApi.get(campaignId, controller.signal).then((campaign) => {
        setDraft(draftOfCampaign(campaign));
        setName(campaign.name);
      }, failed);
    return () => controller.abort();
  }, [campaignId]);

  const listId = draft?.listId ?? "";
  useEffect(() => {
    if (!listId) {
      setFields([]);
      return;
    }
    const controller = new AbortController();
    contactsApi.contacts(listId, { limit: FIELD_SAMPLE }, controller.signal).then(
      (page) => setFields([...new Set(page.contacts.flatMap((contact) => Object.keys(contact.fields)))].sort()),
      () => setFields([]),
    );
    return () => controller.abort();
  }, [listId]);

  const published = useMemo(() => (flows ?? []).filter((flow) => flow.published_version != null), [flows]);

  if (loadError) return <ErrorAlert error={loadError} />;
  if (!draft || flows === null || lists === null) return <p className="muted">{t("common.loading")}</p>;

  const change = (patch: Partial<Draft>) => {
    setDraft({ ...draft, ...patch });
    setError(null);
  };
  const apiError = error instanceof ApiError ? error : null;
  /** What is wrong at `pointer`: a number not typed as one, or what the server said. */
  const problems = (pointer: string, local: string[] = []): string[] => [
    ...local,
    ...(notNumbers.some((wrong) => wrong === pointer) ? [t("campaign.notANumber")] : []),
    ...serverProblems(t, apiError, pointer),
  ];

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setTried(true);
    const { input, notNumbers: wrong } = inputOf(draft);
    setNotNumbers(wrong);
    if (wrong.length || !input.name || !input.flow_id || !input.list_id) return;
    setBusy(true);
    setError(null);
    try {
      const saved = campaignId ? await campaignsApi.update(campaignId, input) : await campaignsApi.create(input);
      navigate(campaignHref(saved.id));
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  const unplaced = unplacedProblems(t, apiError);
  const fieldChoices = ["name", ...fields];
  return (
    <form className="list-page campaign-form" onSubmit={(event) => void submit(event)} noValidate data-testid="campaign-form">
      <div className="list-toolbar">
        <a href={campaignId ? campaignHref(campaignId) : CAMPAIGNS_HREF} className="back-link">
          ← {campaignId ? name : t("campaigns.back")}
        </a>
      </div>
      <h1>{campaignId ? t("campaign.editTitle", { name }) : t("campaign.newTitle")}</h1>
      {!campaignId && <p className="drop-hint">{t("campaign.draftNote")}</p>}

      <section className="card campaign-section">
        <h2>{t("campaign.sectionWho")}</h2>
        <Field label={t("campaigns.name")} problems={problems("/name", tried && !draft.name.trim() ? [t("campaign.nameRequired")] : [])}>
          {(describedBy, invalid) => (
            <input type="text" value={draft.name} maxLength={100} placeholder={t("campaign.namePlaceholder")} onChange={(event) => change({ name: event.target.value })} aria-describedby={describedBy} aria-invalid={invalid} data-testid="campaign-name" />
          )}
        </Field>
        <Field label={t("campaigns.flow")} help={published.length ? t("campaign.flowHelp") : t("campaign.noPublishedFlows")} problems={problems("/flow_id", tried && !draft.flowId ? [t("campaign.flowRequired")] : []).concat(serverProblems(t, apiError, "/flow_version"))}>
          {(describedBy, invalid) => (
            <select value={draft.flowId} onChange={(event) => change({ flowId: event.target.value, flowVersion: null })} aria-describedby={describedBy} aria-invalid={invalid} data-testid="campaign-flow">
              <option value="">{t("campaign.flowPick")}</option>
              {published.map((flow) => (
                <option key={flow.id} value={flow.id}>
                  {flowTitle(flow)} · {t("campaign.flowVersion", { version: flow.published_version ?? 0 })}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t("campaigns.list")} problems={problems("/list_id", tried && !draft.listId ? [t("campaign.listRequired")] : [])}>
          {(describedBy, invalid) => (
            <select value={draft.listId} onChange={(event) => change({ listId: event.target.value })} aria-describedby={describedBy} aria-invalid={invalid} data-testid="campaign-list">
              <option value="">{t("campaign.listPick")}</option>
              {lists.map((list) => (
                <option key={list.id} value={list.id}>
                  {t("campaign.listCount", { name: list.name, n: list.contacts })}
                </option>
              ))}
            </select>
          )}
        </Field>
        <fieldset className="field plain-fieldset" data-testid="campaign-kind">
          <legend>{t("campaigns.kind")}</legend>
          {(["list", "date"] as const).map((kind) => (
            <label key={kind} className="campaign-choice">
              <input type="radio" name="campaign-kind" checked={draft.kind === kind} onChange={() => change({ kind })} data-testid={`campaign-kind-${kind}`} />
              <span>
                <strong>{t(kind === "list" ? "campaign.kindList" : "campaign.kindDate")}</strong>
                <span className="field-help">{t(kind === "list" ? "campaign.kindListHelp" : "campaign.kindDateHelp")}</span>
              </span>
            </label>
          ))}
        </fieldset>
        {draft.kind === "date" && (
          <div className="campaign-row">
            <Field label={t("campaign.triggerField")} help={fields.length ? t("campaign.triggerFieldHelp") : t("campaign.noFields")} problems={problems("/settings/trigger")}>
              {(describedBy, invalid) => (
                <select value={draft.triggerField} onChange={(event) => change({ triggerField: event.target.value })} aria-describedby={describedBy} aria-invalid={invalid} data-testid="campaign-trigger-field">
                  <option value="">{t("campaign.triggerFieldPick")}</option>
                  {[...new Set([...fields, draft.triggerField].filter(Boolean))].map((field) => (
                    <option key={field} value={field}>
                      {field}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field label={t("campaign.triggerKind")} problems={[]}>
              {() => (
                <select value={draft.triggerKind} onChange={(event) => change({ triggerKind: event.target.value as TriggerKind })} data-testid="campaign-trigger-kind">
                  {TRIGGERS.map((kind) => (
                    <option key={kind} value={kind}>
                      {t(`campaign.trigger.${kind}` as MessageKey)}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          </div>
        )}
        <fieldset className="field plain-fieldset" data-testid="campaign-filter">
          <legend>{t("campaign.filter")}</legend>
          <span className="field-help">{t("campaign.filterHelp")}</span>
          {draft.filter.map((condition, index) => {
            const setCondition = (patch: Partial<typeof condition>) => change({ filter: draft.filter.map((one, at) => (at === index ? { ...one, ...patch } : one)) });
            const needsValue = condition.op !== "present" && condition.op !== "absent";
            return (
              <div key={index} className="campaign-condition" data-testid="campaign-condition">
                <select value={condition.field} aria-label={t("campaign.conditionField")} onChange={(event) => setCondition({ field: event.target.value })} data-testid="campaign-condition-field">
                  {[...new Set([...fieldChoices, condition.field])].map((field) => (
                    <option key={field} value={field}>
                      {field === "name" ? t("campaign.field.name") : field}
                    </option>
                  ))}
                </select>
                <select value={condition.op} aria-label={t("campaign.conditionOp")} onChange={(event) => setCondition({ op: event.target.value as ConditionOp })} data-testid="campaign-condition-op">
                  {OPS.map((op) => (
                    <option key={op} value={op}>
                      {t(`campaign.op.${op}` as MessageKey)}
                    </option>
                  ))}
                </select>
                {needsValue && <input type="text" value={condition.value} aria-label={t("campaign.conditionValue")} onChange={(event) => setCondition({ value: event.target.value })} data-testid="campaign-condition-value" />}
                <button type="button" className="danger-text" onClick={() => change({ filter: draft.filter.filter((_, at) => at !== index) })}>
                  {t("campaign.removeCondition")}
                </button>
                <FieldProblems messages={serverProblems(t, apiError, `/settings/filter/${index}`)} />
              </div>
            );
          })}
          <div>
            <button type="button" onClick={() => change({ filter: [...draft.filter, { field: fieldChoices[1] ?? "name", op: "equals", value: "" }] })} data-testid="campaign-add-condition">
              {t("campaign.addCondition")}
            </button>
          </div>
          <FieldProblems messages={serverProblems(t, apiError, "/settings/filter").filter((message) => !draft.filter.some((_, index) => serverProblems(t, apiError, `/settings/filter/${index}`).includes(message)))} />
        </fieldset>
      </section>

      <section className="card campaign-section">
        <h2>{t("campaign.sectionWhen")}</h2>
        <div className="campaign-row">
          <Field label={t("campaign.startDate")} problems={problems("/settings/schedule/start_date")}>
            {(describedBy, invalid) => <input type="date" value={draft.startDate} onChange={(event) => change({ startDate: event.target.value })} aria-describedby={describedBy} aria-invalid={invalid} data-testid="campaign-start-date" />}
          </Field>
          <Field label={t("campaign.endDate")} problems={problems("/settings/schedule/end_date")}>
            {(describedBy, invalid) => <input type="date" value={draft.endDate} onChange={(event) => change({ endDate: event.target.value })} aria-describedby={describedBy} aria-invalid={invalid} data-testid="campaign-end-date" />}
          </Field>
        </div>
        <p className="field-help">{t("campaign.datesHelp")}</p>
        <fieldset className="field plain-fieldset" data-testid="campaign-windows">
          <legend>{t("campaign.windows")}</legend>
          <span className="field-help">{t("campaign.windowsHelp")}</span>
          {draft.windows.map((window, index) => {
            const setWindow = (patch: Partial<typeof window>) => change({ windows: draft.windows.map((one, at) => (at === index ? { ...one, ...patch } : one)) });
            return (
              <div key={index} className="campaign-window" data-testid="campaign-window">
                <span>{t("campaign.windowFrom")}</span>
                <input type="time" value={window.start} aria-label={t("campaign.windowFrom")} onChange={(event) => setWindow({ start: event.target.value })} data-testid="campaign-window-start" />
                <span>{t("campaign.windowTo")}</span>
                <input type="time" value={window.end === "24:00" ? "23:59" : window.end} aria-label={t("campaign.windowTo")} onChange={(event) => setWindow({ end: event.target.value })} data-testid="campaign-window-end" />
                {draft.windows.length > 1 && (
                  <button type="button" className="danger-text" onClick={() => change({ windows: draft.windows.filter((_, at) => at !== index) })}>
                    {t("campaign.removeWindow")}
                  </button>
                )}
              </div>
            );
          })}
          <div>
            <button type="button" onClick={() => change({ windows: [...draft.windows, { start: "14:00", end: "17:00" }] })} data-testid="campaign-add-window">
              {t("campaign.addWindow")}
            </button>
          </div>
          <FieldProblems messages={serverProblems(t, apiError, "/settings/schedule/windows")} />
        </fieldset>
        <fieldset className="field plain-fieldset" data-testid="campaign-weekdays">
          <legend>{t("campaign.weekdays")}</legend>
          <div className="campaign-weekdays">
            {[1, 2, 3, 4, 5, 6, 7].map((day) => (
              <label key={day} className="campaign-weekday">
                <input
                  type="checkbox"
                  checked={draft.weekdays.includes(day)}
                  onChange={(event) => change({ weekdays: event.target.checked ? [...draft.weekdays, day] : draft.weekdays.filter((one) => one !== day) })}
                  data-testid={`campaign-weekday-${day}`}
                />
                {t(`campaign.weekday.${day}` as MessageKey)}
              </label>
            ))}
          </div>
          <FieldProblems messages={serverProblems(t, apiError, "/settings/schedule/weekdays")} />
        </fieldset>
        <label className="campaign-check">
          <input type="checkbox" checked={draft.skipHolidays} onChange={(event) => change({ skipHolidays: event.target.checked })} data-testid="campaign-skip-holidays" />
          {t("campaign.skipHolidays")}
        </label>
        <div className="campaign-row">
          <Field label={t("campaign.timeZone")} help={t("campaign.timeZoneHelp")} problems={problems("/settings/schedule/time_zone")}>
            {(describedBy, invalid) => (
              <select value={draft.timeZone} onChange={(event) => change({ timeZone: event.target.value })} aria-describedby={describedBy} aria-invalid={invalid} data-testid="campaign-time-zone">
                <option value="">{t("campaign.timeZoneShop")}</option>
                {[...new Set([...TIME_ZONES, draft.timeZone].filter(Boolean))].map((zone) => (
                  <option key={zone} value={zone}>
                    {zone}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <NumberField label={t("campaign.stopMargin")} unit={t("campaign.minutes")} value={draft.stopMargin} onChange={(stopMargin) => change({ stopMargin })} problems={problems("/settings/schedule/stop_margin_minutes")} testId="campaign-stop-margin" />
        </div>
        <label className="campaign-check">
          <input type="checkbox" checked={draft.contactTimeZone} onChange={(event) => change({ contactTimeZone: event.target.checked })} data-testid="campaign-contact-time-zone" />
          {t("campaign.contactTimeZone")}
        </label>
      </section>

      <section className="card campaign-section">
        <h2>{t("campaign.sectionPacing")}</h2>
        <div className="campaign-row">
          <NumberField label={t("campaign.maxConcurrent")} help={t("campaign.maxConcurrentHelp")} value={draft.maxConcurrent} onChange={(maxConcurrent) => change({ maxConcurrent })} problems={problems("/settings/pacing/max_concurrent")} testId="campaign-max-concurrent" />
          <NumberField label={t("campaign.callsPerSecond")} help={t("campaign.callsPerSecondHelp")} value={draft.callsPerSecond} step="0.01" onChange={(callsPerSecond) => change({ callsPerSecond })} problems={problems("/settings/pacing/calls_per_second")} testId="campaign-calls-per-second" />
          <NumberField label={t("campaign.carrierCallsPerSecond")} help={t("campaign.carrierCallsPerSecondHelp")} value={draft.carrierCallsPerSecond} step="0.01" onChange={(carrierCallsPerSecond) => change({ carrierCallsPerSecond })} problems={problems("/settings/pacing/carrier_calls_per_second")} testId="campaign-carrier-calls-per-second" />
        </div>
      </section>

      <section className="card campaign-section">
        <h2>{t("campaign.sectionRetries")}</h2>
        <table className="campaign-retries" data-testid="campaign-retries">
          <thead>
            <tr>
              <th scope="col">{t("campaign.retryResult")}</th>
              <th scope="col">{t("campaign.retryMax")}</th>
              <th scope="col">{t("campaign.retryDelay")}</th>
            </tr>
          </thead>
          <tbody>
            {RETRY_RESULTS.map((result) => {
              const setRetry = (patch: Partial<Draft["retries"][typeof result]>) => change({ retries: { ...draft.retries, [result]: { ...draft.retries[result], ...patch } } });
              const maxProblems = problems(`/settings/retries/${result}/max`);
              const delayProblems = problems(`/settings/retries/${result}/delay_minutes`);
              return (
                <tr key={result}>
                  <th scope="row">{t(`final.${result}` as MessageKey)}</th>
                  <td>
                    <input type="number" min={0} max={10} value={draft.retries[result].max} aria-label={`${t(`final.${result}` as MessageKey)} · ${t("campaign.retryMax")}`} aria-invalid={maxProblems.length > 0} onChange={(event) => setRetry({ max: event.target.value })} data-testid={`campaign-retry-${result}-max`} />
                    <FieldProblems messages={maxProblems} />
                  </td>
                  <td>
                    <input type="number" min={1} max={10080} value={draft.retries[result].delay} aria-label={`${t(`final.${result}` as MessageKey)} · ${t("campaign.retryDelay")}`} aria-invalid={delayProblems.length > 0} onChange={(event) => setRetry({ delay: event.target.value })} data-testid={`campaign-retry-${result}-delay`} />
                    <FieldProblems messages={delayProblems} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        <div className="campaign-row">
          <NumberField label={t("campaign.backoff")} help={t("campaign.retriesHelp")} value={draft.backoff} step="0.1" onChange={(backoff) => change({ backoff })} problems={problems("/settings/retries/backoff")} testId="campaign-backoff" />
          <NumberField label={t("campaign.maxAttempts")} value={draft.maxAttempts} onChange={(maxAttempts) => change({ maxAttempts })} problems={problems("/settings/retries/max_attempts")} testId="campaign-max-attempts" />
        </div>
      </section>

      <section className="card campaign-section">
        <h2>{t("campaign.sectionCap")}</h2>
        <div className="campaign-cap">
          <span>{t("campaign.cap")}</span>
          <input type="number" min={1} max={365} value={draft.capDays} aria-label={t("campaign.capDays")} aria-invalid={problems("/settings/cap/days").length > 0} onChange={(event) => change({ capDays: event.target.value })} data-testid="campaign-cap-days" />
          <span>{t("campaign.capDays")}</span>
          <input type="number" min={1} max={100} value={draft.capCalls} aria-label={t("campaign.capCalls")} aria-invalid={problems("/settings/cap/calls").length > 0} onChange={(event) => change({ capCalls: event.target.value })} data-testid="campaign-cap-calls" />
          <span>{t("campaign.capCalls")}</span>
        </div>
        <FieldProblems messages={[...problems("/settings/cap/days"), ...problems("/settings/cap/calls")]} />
        <p className="field-help">{t("campaign.capHelp")}</p>
      </section>

      <section className="card campaign-section">
        <h2>{t("campaign.sectionMachine")}</h2>
        {MACHINE.map((action) => (
          <label key={action} className="campaign-check">
            <input type="radio" name="campaign-machine" checked={draft.machineAction === action} onChange={() => change({ machineAction: action })} data-testid={`campaign-machine-${action}`} />
            {t(`campaign.machine.${action}` as MessageKey)}
          </label>
        ))}
        {draft.machineAction === "leave_message" && (
          <Field label={t("campaign.machineMessage")} problems={problems("/settings/machine")}>
            {(describedBy, invalid) => (
              <textarea rows={3} value={draft.machineMessage} placeholder={t("campaign.machineMessagePlaceholder")} onChange={(event) => change({ machineMessage: event.target.value })} aria-describedby={describedBy} aria-invalid={invalid} data-testid="campaign-machine-message" />
            )}
          </Field>
        )}
        {draft.machineAction !== "leave_message" && <FieldProblems messages={problems("/settings/machine")} />}
      </section>

      {(error || notNumbers.length > 0) && (
        <div className="alert alert-error" role="alert" data-testid="campaign-form-error" data-code={apiError?.code}>
          <div className="alert-text">
            <strong>{apiError?.code === "invalid_campaign" || !error ? t("campaign.fieldsWrong") : problemMessage(t, error)}</strong>
            {unplaced.length > 0 && (
              <ul className="alert-list">
                {unplaced.map((message, index) => (
                  <li key={index}>{message}</li>
                ))}
              </ul>
            )}
          </div>
        </div>
      )}
      <div className="campaign-actions">
        <button type="submit" className="primary" disabled={busy} data-testid="campaign-save">
          {campaignId ? t("campaign.save") : t("campaign.saveCreate")}
        </button>
        <button type="button" onClick={() => navigate(campaignId ? campaignHref(campaignId) : CAMPAIGNS_HREF)}>
          {t("common.cancel")}
        </button>
      </div>
    </form>
  );
}

/** A labelled field with its help line and its problems, which the control is described by. */
function Field({ label, help, problems, children }: { label: string; help?: string; problems: string[]; children: (describedBy: string, invalid: boolean) => React.ReactNode }) {
  const id = useId();
  return (
    <label className="field">
      <span className="field-label">{label}</span>
      {children(`${id}-help ${id}-problems`, problems.length > 0)}
      {help && (
        <span className="field-help" id={`${id}-help`}>
          {help}
        </span>
      )}
      <FieldProblems messages={problems} id={`${id}-problems`} />
    </label>
  );
}

function NumberField({ label, help, unit, value, step, onChange, problems, testId }: { label: string; help?: string; unit?: string; value: string; step?: string; onChange: (value: string) => void; problems: string[]; testId: string }) {
  return (
    <Field label={label} help={help} problems={problems}>
      {(describedBy, invalid) => (
        <span className="campaign-number">
          <input type="number" step={step ?? "1"} value={value} onChange={(event) => onChange(event.target.value)} aria-describedby={describedBy} aria-invalid={invalid} data-testid={testId} />
          {unit && <span className="muted">{unit}</span>}
        </span>
      )}
    </Field>
  );
}
