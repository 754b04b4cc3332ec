import { everyValue, withMap, withOptional } from "../../editor/forms/edit";
import { KeyValueList, NumberInput, SelectInput, TemplateInput } from "../../editor/forms/fields";
import type { HttpMethod, HttpNode } from "../../flow/types";
import { useI18n } from "../../i18n";
import type { NodeFormProps } from "../kind";
import { PortField } from "../shared/PortField";
import { HttpTester } from "./HttpTester";

const METHODS = everyValue<HttpMethod>({ GET: true, POST: true, PUT: true, PATCH: true, DELETE: true });

export function HttpForm({ node, change }: NodeFormProps<HttpNode>) {
  const { t } = useI18n();
  return (
    <>
      <div className="field-row">
        <SelectInput
          label={t("http.method")}
          value={node.method ?? "GET"}
          path="/method"
          testId="http-method"
          options={METHODS.map((method) => ({ value: method, label: method }))}
          onChange={(method) => change((n) => ({ ...n, method }))}
        />
        <NumberInput
          label={t("http.timeout")}
          help={t("http.timeoutHelp")}
          value={node.timeout_ms}
          min={1}
          max={10000}
          step={500}
          path="/timeout_ms"
          onChange={(ms) => change((n) => withOptional(n, "timeout_ms", ms), "timeout_ms")}
        />
      </div>
      <TemplateInput
        label={t("http.url")}
        help={t("http.urlHelp")}
        value={node.url}
        path="/url"
        placeholder="{{tenant.api}}/orders/{{vars.order_id}}"
        testId="http-url"
        onChange={(url) => change((n) => ({ ...n, url }), "url")}
      />
      <KeyValueList
        label={t("http.headers")}
        value={node.headers}
        path="/headers"
        keyLabel={t("http.headerName")}
        valueLabel={t("http.headerValue")}
        keyPlaceholder="Accept"
        valuePlaceholder="application/json"
        addLabel={t("http.addHeader")}
        onChange={(headers) => change((n) => withMap(n, "headers", headers), "headers")}
      />
      <TemplateInput
        label={t("http.body")}
        help={t("http.bodyHelp")}
        value={node.body}
        path="/body"
        multiline
        onChange={(body) => change((n) => withOptional(n, "body", body), "body")}
      />
      <KeyValueList
        label={t("http.save")}
        help={t("http.saveHelp")}
        value={node.save}
        path="/save"
        keyLabel={t("http.saveVar")}
        valueLabel={t("http.savePath")}
        keyPlaceholder="status"
        valuePlaceholder="body.status"
        addLabel={t("http.addSave")}
        onChange={(save) => change((n) => withMap(n, "save", save), "save")}
      />
      <KeyValueList
        label={t("http.onStatus")}
        help={t("http.onStatusHelp")}
        value={node.on_status}
        path="/on_status"
        keyLabel={t("http.status")}
        valueLabel={t("http.statusNext")}
        keyPlaceholder="404"
        addLabel={t("http.addStatus")}
        valueKind="port"
        ownerId={node.id}
        testId="http-on-status"
        newKey={(taken) => ["404", "409", "4xx", "5xx", "400", "401", "403", "422", "500"].find((code) => !taken.includes(code)) ?? ""}
        onChange={(onStatus) => change((n) => withMap(n, "on_status", onStatus), "on_status")}
      />
      <PortField node={node} change={change} label={t("port.http.next")} path={["next"]} />
      <PortField node={node} change={change} label={t("port.http.error")} help={t("http.errorHelp")} path={["error"]} />
      <HttpTester node={node} />
    </>
  );
}
