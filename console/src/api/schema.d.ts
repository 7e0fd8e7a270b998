// Generated from the OpenAPI document by src/admin/write-openapi.ts (npm run schemas): do not edit.

export interface paths {
    "/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The process is up */
        get: operations["getHealth"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/ready": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Accepting traffic: started, store reachable, commits succeeding */
        get: operations["getReady"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Prometheus metrics (text exposition format) */
        get: operations["getMetrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This document */
        get: operations["getOpenApi"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/asyncapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The WebSocket gateway protocol (/v1/gateway) as an AsyncAPI 3.0 document
         * @description Generated from the same frame schemas as the server checks; the same document is checked in as schemas/asyncapi.json (docs/protocol.md).
         */
        get: operations["getAsyncApi"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Decide on one event; the decision comes back in the body format (or as Accept asks)
         * @description The fields of an `event` frame without `t`, as JSON or MessagePack; the same checks and decision as over the WebSocket gateway.
         *
         *     Roles: `gateway`.
         */
        post: operations["postEvent"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/status": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Version, uptime, store, clock, catalog, live actors
         * @description Roles: `ops`, `admin`.
         */
        get: operations["getStatus"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/customers/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A customer's 360° card: profile, lifecycle, consents, segments, features, contacts, open offers, responses, last decision
         * @description An `analyst` key gets the card with the personal data masked: names (first letters), phone, e-mail, card, cookie; the birth date dropped (the age in its place); each text or date attribute `***` (numbers and booleans stay); each string of a response's `data` and of an open offer's `vars` `***`.
         *
         *     Roles: `privacy`, `analyst`, `admin`.
         */
        get: operations["getCustomer"];
        /**
         * Creates or updates one customer's master data (upsert)
         * @description Roles: `privacy`, `admin`.
         */
        put: operations["putCustomer"];
        post?: never;
        /**
         * Erase a customer: profile, history, identity links and queued messages; stop-list entries (kept as hashes) stay
         * @description Roles: `privacy`, `admin`.
         */
        delete: operations["eraseCustomer"];
        options?: never;
        head?: never;
        /**
         * Updates fields of a known customer's master data
         * @description Roles: `privacy`, `admin`.
         */
        patch: operations["patchCustomer"];
        trace?: never;
    };
    "/v1/customers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Find a customer by phone, e-mail or card (exactly one), normalised as identity resolution does
         * @description The answer lists the customer the identifier is linked to (its id and name), or none. For the privacy role (and admin) only: an analyst reads cards masked so as not to know who the customer is, and a lookup by a phone, an e-mail or a card would tell. The value is never logged nor echoed in a refusal.
         *
         *     Roles: `privacy`, `admin`.
         */
        get: operations["findCustomers"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/stop-list": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Stop-list entries; with kind and value, those on that identifier only
         * @description With `kind` and `value` (both or neither), the entries whose key is that identifier's (normalised and keyed as an entry is): how a list that keeps no identifier in clear is searched. The value is never echoed.
         *
         *     Roles: `privacy`, `admin`.
         */
        get: operations["listStopEntries"];
        put?: never;
        /**
         * Add a stop-list entry (global, or one channel, or one campaign); applies from the next event
         * @description Roles: `privacy`, `admin`.
         */
        post: operations["addStopEntry"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/stop-list/{key}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Remove the entry with this key and scope
         * @description Roles: `privacy`, `admin`.
         */
        delete: operations["removeStopEntry"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/outbox/{channel}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * What waits for delivery on a channel, oldest first, paged
         * @description Roles: `ops`, `admin`.
         */
        get: operations["listOutbox"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/clock": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The server clock's mode and reading
         * @description Roles: `qa`, `ops`, `admin`.
         */
        get: operations["getClock"];
        put?: never;
        /**
         * Set (now) or move (advance) the manual clock (--clock manual only); reminders that came due are delivered before the answer
         * @description Roles: `qa`, `admin`.
         */
        post: operations["moveClock"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/catalog": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The catalog in force, with its version
         * @description Roles: `marketer`, `admin`.
         */
        get: operations["getCatalog"];
        /**
         * Replace the whole catalog (JSON, or a YAML file with Content-Type application/yaml); the whole catalog is checked and a problem names the field
         * @description Roles: `marketer`, `admin`.
         */
        put: operations["replaceCatalog"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/catalog/history": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Audit entries: who changed what, when, and the version it made
         * @description Roles: `marketer`, `admin`.
         */
        get: operations["getCatalogHistory"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/catalog/versions/{n}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The catalog as it was at version n
         * @description Roles: `marketer`, `admin`.
         */
        get: operations["getCatalogVersion"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/policy": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The contact policy
         * @description Roles: `marketer`, `admin`.
         */
        get: operations["getPolicy"];
        /**
         * Replace the contact policy
         * @description Roles: `marketer`, `admin`.
         */
        put: operations["replacePolicy"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/campaigns/{id}/status": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Move a campaign along its lifecycle: draft, scheduled, active, paused, completed
         * @description Roles: `marketer`, `admin`.
         */
        post: operations["moveCampaign"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/offers/{id}/templates/{channel}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One of an offer's templates
         * @description Roles: `marketer`, `admin`.
         */
        get: operations["getTemplate"];
        /**
         * Create or replace one of an offer's templates (unknown variables are refused)
         * @description Roles: `marketer`, `admin`.
         */
        put: operations["putTemplate"];
        post?: never;
        /**
         * Remove one of an offer's templates
         * @description Roles: `marketer`, `admin`.
         */
        delete: operations["deleteTemplate"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/campaigns/{id}/propensity": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Each target group's response probability: the marketer's prior, the responses seen, and the learnt probability in force
         * @description Roles: `marketer`, `analyst`, `admin`.
         */
        get: operations["getCampaignPropensity"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/campaigns/{id}/preview": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A campaign's message on each of its channels, rendered for a customer (or a sample one) and an event, with the SMS encoding and parts
         * @description Roles: `marketer`, `admin`.
         */
        post: operations["previewCampaign"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/customers/{id}/explain": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * What the customer would be offered for this event at this moment, and why or why not for each triggered campaign; nothing is recorded
         * @description Roles: `marketer`, `admin`.
         */
        post: operations["explainDecision"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/segment-sizes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Every segment's size now, in one call (the console's segments list); one segment's daily history is in GET /v1/segments/{id}
         * @description Roles: `marketer`, `admin`.
         */
        get: operations["listSegmentSizes"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/features": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the features
         * @description Roles: `marketer`, `admin`.
         */
        get: operations["listFeatures"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/features/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One of the features
         * @description Roles: `marketer`, `admin`.
         */
        get: operations["getFeature"];
        /**
         * Create (201) or replace (200) one of the features; the whole catalog is checked and a problem names the field
         * @description Roles: `marketer`, `admin`.
         */
        put: operations["putFeature"];
        post?: never;
        /**
         * Remove one of the features (409 while another item uses it)
         * @description Roles: `marketer`, `admin`.
         */
        delete: operations["deleteFeature"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/segments": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the segments
         * @description Roles: `marketer`, `admin`.
         */
        get: operations["listSegments"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/segments/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One of the segments, with its size now and at the end of each of the last 30 days
         * @description Roles: `marketer`, `admin`.
         */
        get: operations["getSegment"];
        /**
         * Create (201) or replace (200) one of the segments; the whole catalog is checked and a problem names the field
         * @description Roles: `marketer`, `admin`.
         */
        put: operations["putSegment"];
        post?: never;
        /**
         * Remove one of the segments (409 while another item uses it)
         * @description Roles: `marketer`, `admin`.
         */
        delete: operations["deleteSegment"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/offers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the offers
         * @description Roles: `marketer`, `admin`.
         */
        get: operations["listOffers"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/offers/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One of the offers
         * @description Roles: `marketer`, `admin`.
         */
        get: operations["getOffer"];
        /**
         * Create (201) or replace (200) one of the offers; the whole catalog is checked and a problem names the field
         * @description Roles: `marketer`, `admin`.
         */
        put: operations["putOffer"];
        post?: never;
        /**
         * Remove one of the offers (409 while another item uses it)
         * @description Roles: `marketer`, `admin`.
         */
        delete: operations["deleteOffer"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/campaigns": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the campaigns
         * @description Roles: `marketer`, `admin`.
         */
        get: operations["listCampaigns"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/campaigns/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One of the campaigns
         * @description Roles: `marketer`, `admin`.
         */
        get: operations["getCampaign"];
        /**
         * Create (201) or replace (200) one of the campaigns; the whole catalog is checked and a problem names the field
         * @description Roles: `marketer`, `admin`.
         */
        put: operations["putCampaign"];
        post?: never;
        /**
         * Remove one of the campaigns (409 while another item uses it)
         * @description Roles: `marketer`, `admin`.
         */
        delete: operations["deleteCampaign"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/partners": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the partners
         * @description Roles: `marketer`, `admin`.
         */
        get: operations["listPartners"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/partners/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One of the partners
         * @description Roles: `marketer`, `admin`.
         */
        get: operations["getPartner"];
        /**
         * Create (201) or replace (200) one of the partners; the whole catalog is checked and a problem names the field
         * @description Roles: `marketer`, `admin`.
         */
        put: operations["putPartner"];
        post?: never;
        /**
         * Remove one of the partners (409 while another item uses it)
         * @description Roles: `marketer`, `admin`.
         */
        delete: operations["deletePartner"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/places": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the places
         * @description Roles: `marketer`, `admin`.
         */
        get: operations["listPlaces"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/places/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One of the places
         * @description Roles: `marketer`, `admin`.
         */
        get: operations["getPlace"];
        /**
         * Create (201) or replace (200) one of the places; the whole catalog is checked and a problem names the field
         * @description Roles: `marketer`, `admin`.
         */
        put: operations["putPlace"];
        post?: never;
        /**
         * Remove one of the places (409 while another item uses it)
         * @description Roles: `marketer`, `admin`.
         */
        delete: operations["deletePlace"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/outbox/{channel}/dead": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The channel's dead letters: entries its adapter gave up on, with attempts and the last error
         * @description A page looks through at most 10,000 entries of the queue after its cursor, so it may hold fewer than limit (even none) and still have a next.
         *
         *     Roles: `ops`, `admin`.
         */
        get: operations["listDeadLetters"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/outbox/{channel}/{instance}/retry": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Put a dead letter (or an entry waiting for its backoff) back in the queue, due now
         * @description Roles: `ops`, `admin`.
         */
        post: operations["retryDelivery"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/unsubscribe": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A marketing e-mail's unsubscribe link, opened: a confirmation page with the masked address and a button that POSTs; it changes nothing
         * @description Mail scanners and link previews follow links, so opening one unsubscribes no one; the page's button posts to the same URL (unsubscribeOneClick).
         */
        get: operations["unsubscribe"];
        put?: never;
        /**
         * Unsubscribe: puts the link's address on the stop list for e-mail (the signed token t is the authority)
         * @description Posted by the confirmation page's button, or by the mail client as RFC 8058 one-click (body List-Unsubscribe=One-Click, application/x-www-form-urlencoded; the body is not read). Posting again answers the same.
         */
        post: operations["unsubscribeOneClick"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/identity/conflicts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Identity conflicts: identifiers events named for one customer while linked to another (not relinked), one per identifier and pair, in id order
         * @description Roles: `privacy`, `admin`.
         */
        get: operations["listIdentityConflicts"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/identity/conflicts/{id}/dismiss": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Mark an identity conflict reviewed: the identifier stays with its holder (dismissing again answers the same)
         * @description Roles: `privacy`, `admin`.
         */
        post: operations["dismissIdentityConflict"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/customers/{id}/merge": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Merge two profiles of one person: from's history joins the customer id (the survivor), from forwards to it
         * @description Survivorship rules per field in docs/identity.md. Atomic in the store. Merging a customer into itself is 400, an unknown id 404, an id already merged away 409.
         *
         *     Roles: `privacy`, `admin`.
         */
        post: operations["mergeCustomers"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/models": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The learning settings and every offer's adaptive model: examples, positives, negatives, the running and the last 30 days' AUC, lift over the random arm per offer and per campaign with 95 % intervals (AUC and lift only with the evidence behind them, else null and why), weight in the blend
         * @description Roles: `marketer`, `analyst`, `admin`.
         */
        get: operations["listModels"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/models/{offer}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One offer's adaptive model
         * @description Roles: `marketer`, `analyst`, `admin`.
         */
        get: operations["getModel"];
        put?: never;
        post?: never;
        /**
         * Forget an offer's adaptive model (after the offer changed in substance); decisions fall back on the target groups' probabilities
         * @description Roles: `marketer`, `admin`.
         */
        delete: operations["resetModel"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/models/{offer}/history": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One offer model's quality per day: answers learnt, positives, the day's and the running AUC, the model and random arms' response rates
         * @description Roles: `marketer`, `analyst`, `admin`.
         */
        get: operations["getModelHistory"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/campaigns/{id}/uplift": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The campaign's uplift: goal conversion of contacts made against contacts withheld from its control group, with 95 % intervals
         * @description Roles: `marketer`, `analyst`, `admin`.
         */
        get: operations["getCampaignUplift"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/reports/uplift": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Every campaign's uplift report, since the store began or over a date range (from, to: the funnel's days)
         * @description Roles: `marketer`, `analyst`, `admin`.
         */
        get: operations["listUplifts"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/reports/funnel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The campaign funnel (triggered, suppressed by reason, control, offered, delivered, failed, answered by outcome, converted; response, conversion and uplift rates; budgets spent) by campaign, channel, offer, target group and run, or by campaign and segment, over a date range or since the store began; JSON or CSV
         * @description Roles: `marketer`, `analyst`, `admin`.
         */
        get: operations["getFunnel"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The audit trail, oldest first: filtered by time, action, key name and target, a page at a time
         * @description Roles: `auditor`, `admin`.
         */
        get: operations["listAudit"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/audit/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The audit trail as NDJSON, oldest first, filtered like GET /v1/audit
         * @description Roles: `auditor`, `admin`.
         */
        get: operations["exportAudit"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/customers/{id}/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Everything held about a customer, for a subject-access request (152-FZ art. 14)
         * @description Roles: `privacy`, `admin`.
         */
        get: operations["exportCustomer"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/customers/import": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Imports the bank's customers: NDJSON, one customer a line (upsert, rejects listed)
         * @description The body is read as it arrives, of any size (KAIROS_MAX_PAYLOAD_BYTES bounds one line, not the body: a longer line is rejected as unreadable_row); each line is applied whole or rejected whole, in batches of 5,000, each committed as its bytes arrive. With `Accept: application/x-ndjson` the reply is NDJSON sent as the import goes: a `progress` line per committed batch (after the `reject` lines of its rows), then the counts with the summary line (or an `error` line). Otherwise the counts at the end, as JSON. A client that goes away stops the import after the last committed batch.
         *
         *     Roles: `privacy`, `admin`.
         */
        post: operations["importCustomers"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Every key: name, role, where it comes from (never a secret)
         * @description Roles: `admin`.
         */
        get: operations["listKeys"];
        put?: never;
        /**
         * Make a named key with a role (a gateway key with its channel scope); its secret is in the reply, once
         * @description Roles: `admin`.
         */
        post: operations["createKey"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/keys/{name}/rotate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Replace a key's secret: the old one is refused from this reply on
         * @description Roles: `admin`.
         */
        post: operations["rotateKey"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/keys/{name}/role": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Give a key another role (or a gateway key another channel scope): its calls are checked against it from this reply on, on every node (a gateway key's WebSocket connections close)
         * @description Roles: `admin`.
         */
        put: operations["changeKeyRole"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/keys/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Revoke a key: refused from this reply on, on every node
         * @description Roles: `admin`.
         */
        delete: operations["revokeKey"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/segments/{id}/members": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A segment's members (customer ids), by page in id order; the whole list as CSV with Accept: text/csv
         * @description Roles: `marketer`, `admin`.
         */
        get: operations["listSegmentMembers"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/segments/{id}/members.csv": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * All of a segment's members (customer ids) as a CSV file
         * @description Roles: `marketer`, `admin`.
         */
        get: operations["exportSegmentMembers"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/segments/count": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Count a draft rule over every stored customer before it is saved: starts a scan in the background (202); poll GET /v1/segment-counts/{job} for its progress
         * @description Roles: `marketer`, `admin`.
         */
        post: operations["countDraftSegment"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/segment-counts/{job}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A draft rule's count: its progress, and the size once done
         * @description Roles: `marketer`, `admin`.
         */
        get: operations["getDraftSegmentCount"];
        put?: never;
        post?: never;
        /**
         * Stop a running count (it stays readable as cancelled)
         * @description Roles: `marketer`, `admin`.
         */
        delete: operations["cancelDraftSegmentCount"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/campaigns/{id}/runs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Start a run of an outbound campaign now: each customer of its segments is handed the campaign once, under every rule
         * @description Roles: `marketer`, `admin`.
         */
        post: operations["startOutboundRun"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The outbound runs, oldest first, with their status
         * @description Roles: `marketer`, `analyst`, `admin`.
         */
        get: operations["listOutboundRuns"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runs/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A run's status: its state, the customers handed it and its funnel
         * @description Roles: `marketer`, `analyst`, `admin`.
         */
        get: operations["getOutboundRun"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runs/{id}/pause": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Pause a running (or waiting) run at once: answered once the hand-overs under way are decided; nobody is offered for it after the answer
         * @description Roles: `marketer`, `admin`.
         */
        post: operations["pauseOutboundRun"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runs/{id}/resume": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Resume a paused run where it stopped
         * @description Roles: `marketer`, `admin`.
         */
        post: operations["resumeOutboundRun"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runs/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Cancel a run: no customer is handed it any more, answered once the hand-overs under way are decided, nobody offered for it after the answer (what was sent stays sent); its deferred messages not yet retried are not sent. A done run can be cancelled while it still holds deferred messages (`funnel.waiting` above 0): they are dropped
         * @description Roles: `marketer`, `admin`.
         */
        post: operations["cancelOutboundRun"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runs/{id}/calls": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A wave's call list: the calls its run made, best expected value first, with each call's outcome so far; JSON or a CSV file for a dialer. Names and phones in full for the privacy role (and admin), masked for a marketer
         * @description Roles: `marketer`, `privacy`, `admin`.
         */
        get: operations["getWaveCallList"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runs/{id}/outcomes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A dialer's outcomes of a wave's calls, a row a call, each recorded as the customer's response to the call; a row that cannot be recorded is reported with its reason and the others go on
         * @description Roles: `marketer`, `admin`.
         */
        post: operations["recordWaveOutcomes"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/whoami": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The calling key: its name, its role and the operations that role may call
         * @description Roles: `marketer`, `analyst`, `ops`, `qa`, `privacy`, `auditor`, `admin`.
         */
        get: operations["whoami"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @description An RFC 9457 problem detail with the Kairos error code */
        Problem: {
            /**
             * Format: uri
             * @description the problem type: https://kairos.dev/problems/<code>
             */
            type: string;
            /** @description the problem type's short, constant summary */
            title: string;
            /** @description the HTTP status of the reply */
            status: number;
            /** @description what went wrong with this request; names the field, query parameter or path segment at fault */
            detail: string;
            /**
             * @description the stable Kairos error code (docs/admin-api.md lists them)
             * @enum {string}
             */
            code: "bad_frame" | "invalid" | "unknown_customer" | "not_found" | "method_not_allowed" | "conflict" | "payload_too_large" | "unsupported_media_type" | "rate_limited" | "overloaded" | "unavailable" | "unauthorized" | "forbidden" | "internal" | "config_invalid" | "native_uws_unavailable" | "delivery_refused" | "delivery_failed";
            /** @description POST /v1/events: the event's id, whenever it could be read (as the WebSocket error frame's re); a gateway correlates the error with its request on it */
            re?: string;
        } & {
            [key: string]: unknown;
        };
        Health: {
            /** @constant */
            status: "ok";
        };
        Ready: {
            /** @enum {string} */
            status: "ready" | "not ready";
            /** @description why not: store unreachable, store commits are failing, draining (a stop under way: still serving) */
            reason?: string;
        };
        /** @description this document */
        OpenApiDocument: {
            /** @constant */
            openapi: "3.1.0";
            /** @description title, version, description */
            info: {
                [key: string]: unknown;
            };
            /** @description the operations by path */
            paths: {
                [key: string]: unknown;
            };
        } & {
            [key: string]: unknown;
        };
        /** @description the gateway protocol as an AsyncAPI 3.0 document */
        AsyncApiDocument: {
            /** @constant */
            asyncapi: "3.0.0";
            /** @description title, version, description */
            info: {
                [key: string]: unknown;
            };
            /** @description the gateway channel */
            channels: {
                [key: string]: unknown;
            };
            /** @description the frames each side sends */
            operations: {
                [key: string]: unknown;
            };
        } & {
            [key: string]: unknown;
        };
        /** @description the fields of an event frame without t (docs/protocol.md); unknown fields are ignored */
        Event: {
            /** @description the gateway's unique id of this event, its idempotency key: the same id sent again gets the same decision again and never a second contact */
            id: string;
            /** @description the event type, e.g. atm.withdrawal.declined, card.transaction, branch.visit, web.pageview, ib.login */
            type: string;
            /** @description who: at least one of id, card, phone, email, cookie; looked up in that order */
            customer: {
                /** @description the bank customer id (master data: import it first) */
                id?: string;
                /** @description a card token */
                card?: string;
                /** @description a phone number; normalised to +<digits> (a Russian 8XXXXXXXXXX becomes +7XXXXXXXXXX) */
                phone?: string;
                /** @description an e-mail address; normalised to lower case */
                email?: string;
                /** @description an anonymous web visitor cookie */
                cookie?: string;
            };
            /** @description when it happened, epoch milliseconds; the server's clock when absent. At most 5 min ahead of the server's clock and 7 days behind it (configurable) */
            at?: number;
            /** @description where it happened: atm, kiosk, branch, web, mobile, ib, pos, callcenter; the event type's first part when absent */
            channel?: string;
            /** @description where it happened */
            location?: {
                /** @description latitude in degrees */
                lat: number;
                /** @description longitude in degrees */
                lon: number;
                /** @description a branch or ATM id */
                place?: string;
            };
            /** @description the event payload, e.g. {requested: 1000, balance: 800, currency: "RUB"}; plain data (strings, finite numbers, booleans, nil, lists and maps), at most 8 levels deep and 4,096 bytes as MessagePack, keys at most 128 characters */
            data?: {
                [key: string]: unknown;
            };
        };
        /**
         * decision
         * @description the reply to an event (and the body of a 200 from POST /v1/events)
         */
        Decision: {
            /**
             * @description frame type
             * @constant
             */
            t: "decision";
            /** @description the event's id */
            re: string;
            /** @description the resolved Kairos customer id */
            customer: string;
            /** @description what Kairos decided to do now, best first; empty when it has nothing worth saying */
            actions: {
                /** @description the offer instance id (<customer>:<n>.<hash>); a later response or confirmation names it */
                instance: string;
                /** @description the campaign id */
                campaign: string;
                /** @description the offer id */
                offer: string;
                /** @description where it goes: the requesting channel (show it now) or another (sms, email, push, ...: already queued for delivery) */
                channel: string;
                /** @description the rendered, personalised message, shaped by the channel's kind */
                content: {
                    /** @description the message, rendered and personalised */
                    text: string;
                } | {
                    /** @description the heading */
                    title: string;
                    /** @description the body */
                    text: string;
                    /** @description the answers offered, in display order */
                    buttons: {
                        /** @description what a response names as its outcome when the customer presses it (accept, later, ...: the outcome the offer's buttonOutcomes maps it to, else the id itself) */
                        id: string;
                        /** @description what the button says */
                        label: string;
                    }[];
                } | {
                    /** @description the subject line */
                    subject: string;
                    /** @description the plain-text body */
                    text: string;
                    /** @description the HTML body */
                    html: string;
                } | {
                    /** @description what the operator says */
                    script: string;
                };
                /** @description when the offer lapses, epoch milliseconds; a response after that is recorded but no longer accepts it */
                expiresAt?: number;
            }[];
        };
        /** @description version, uptime, store, clock, catalog and campaigns, live and dirty actors, stop-list size, demo flags */
        Status: {
            /** @description the server's version */
            version: string;
            /** @description the Node.js version */
            node: string;
            uptimeSec: number;
            /** @description lmdb, memory or redis */
            store: string;
            /** @enum {string} */
            clock: "system" | "manual";
            /** @description the clock reading */
            now: number;
            catalogVersion: number;
            campaigns: {
                id: string;
                status: string;
            }[];
            /** @description customers live in memory */
            hotActors: number;
            /** @description customers with changes not yet written */
            dirtyActors: number;
            stopListEntries: number;
            /** @description stop-list entries still under the unsalted SHA-256 key of a store written before the HMAC: no known identifier matched them at start (docs/privacy.md) */
            stopListOldKeys: number;
            /** @description the demo bank is loaded */
            demo: boolean;
            /** @description the demo credentials are accepted */
            demoCredentials: boolean;
        };
        /** @description a customer's 360° card */
        Customer: {
            id: string;
            /**
             * @description where the customer stands with the bank
             * @enum {string}
             */
            stage: "visitor" | "prospect" | "client" | "formerClient";
            /** @description every stage with when and why */
            lifecycle: ({
                /** @enum {string} */
                stage: "visitor" | "prospect" | "client" | "formerClient";
                /** @description epoch milliseconds */
                at: number;
                reason: string;
            } & {
                [key: string]: unknown;
            })[];
            profile: components["schemas"]["Profile"];
            /** @description phone, email, card, cookie → values */
            identifiers: {
                [key: string]: string[];
            };
            /** @description channel → granted, when, source */
            consents: {
                [key: string]: {
                    granted: boolean;
                    /** @description epoch milliseconds */
                    at: number;
                    /** @description where it came from: the bank's import, an event type, an SMS reply */
                    source: string;
                };
            };
            /** @description segment → entered at: the memberships as of now (time alone can end or begin one: docs/runtime.md "Memberships that time moves") */
            segments: {
                [key: string]: number;
            };
            /** @description when the segment timer fires: the next moment a membership can change with no event */
            nextSegmentCheck?: number;
            /** @description feature → current window value; null: a daysSince feature with nothing in its window */
            features: {
                [key: string]: number | null;
            };
            /** @description campaign, offer, channel, time, delivery status, outcome */
            contacts: {
                instance: string;
                campaign: string;
                offer: string;
                channel: string;
                /** @description epoch milliseconds */
                at: number;
                /** @description true for marketing contacts (counted by caps); false for service messages */
                marketing: boolean;
                /**
                 * @description shown: returned for the screen; queued: in the outbox; delivered, failed: as the channel confirmed; withheld; suppressed: cancelled at send time
                 * @enum {string}
                 */
                delivery: "shown" | "queued" | "delivered" | "failed" | "withheld" | "suppressed";
                /**
                 * @description why it was cancelled at send time: stop_list, no_consent or expired
                 * @enum {string}
                 */
                suppressed?: "stop_list" | "no_consent" | "expired";
                /** @description the answer (accepted, declined, …), or expired when none came in time */
                outcome?: string;
                /** @description a control-group customer: the offer was chosen but withheld */
                control?: boolean;
                /** @description the target group the customer was offered it as */
                group?: string;
                /**
                 * @description which ranking chose it: the models, or the random control arm
                 * @enum {string}
                 */
                arm?: "model" | "random";
                /** @description when a goal event of the campaign followed */
                converted?: number;
                /** @description the outbound run that made it (docs/outbound.md) */
                run?: string;
            }[];
            /** @description open offer instances with their expiry */
            pending: {
                instance: string;
                campaign: string;
                offer: string;
                channel: string;
                /** @description epoch milliseconds */
                at: number;
                /** @description when the offer lapses */
                expiresAt: number;
                /** @description the target group the customer was offered it as */
                group?: string;
                /** @description the offer's computed variables (the credit amount, the rate) */
                vars: {
                    [key: string]: number | string;
                };
                /** @description the hashed features the offer's model scored */
                x?: number[];
                /** @description the response probability the decision used */
                p?: number;
                /**
                 * @description which ranking chose it: the models, or the random control arm
                 * @enum {string}
                 */
                arm?: "model" | "random";
            }[];
            /** @description messages quiet hours held back for the next window, and what became of them (the latest 50) */
            deferrals: {
                campaign: string;
                /** @description when the decision held it back */
                at: number;
                /**
                 * @description deferred: waiting for retryAt; retried: decided again at its retry (outcome); expired: its offer would have closed first; superseded: a later deferral of the campaign replaced it
                 * @enum {string}
                 */
                status: "deferred" | "retried" | "expired" | "superseded";
                /** @description the channels the customer's quiet hours blocked */
                channels: string[];
                /** @constant */
                reason: "quiet_hours";
                /** @description the event type that triggered the campaign */
                trigger: string;
                /** @description while deferred: when it will be decided again (the customer's next allowed window) */
                retryAt?: number;
                /** @description the latest its offer may expire */
                until?: number;
                /** @description when it stopped waiting */
                resolvedAt?: number;
                /** @description with retried: offered, control, or the reason it was suppressed at its retry */
                outcome?: string;
            }[];
            /** @description answers to offers */
            responses: {
                /** @description the request id of the response */
                id: string;
                instance: string;
                campaign: string;
                offer: string;
                outcome: string;
                /** @description epoch milliseconds */
                at: number;
                /** @description scalars only, bounded */
                data?: {
                    [key: string]: unknown;
                };
                /** @description how many responses gave this outcome to this instance (absent: one) */
                count?: number;
            }[];
            /** @description campaign → when the customer became a warm lead of it (a call's outcome at or above its waves.warmLeads.threshold: docs/outbound.md#call-centre-waves; the latest 32); {} for none */
            leads: {
                [key: string]: number;
            };
            /** @description the last decision's explanation since activation */
            lastDecision: components["schemas"]["Explanation"][];
            /** @description epoch milliseconds */
            createdAt: number;
            /** @description epoch milliseconds */
            lastEventAt?: number;
        };
        /** @description the customer's master data */
        Profile: {
            firstName?: string;
            patronymic?: string;
            lastName?: string;
            /** @enum {string} */
            gender?: "m" | "f";
            age?: number;
            job?: string;
            marital?: string;
            education?: string;
            /** @description has credit in default */
            creditDefault?: boolean;
            /** @description current-account balance, roubles */
            balance?: number;
            housingLoan?: boolean;
            personalLoan?: boolean;
            /** @description IANA time zone; the catalog's default when absent */
            timezone?: string;
            city?: string;
            /** @description YYYY-MM-DD, from the bank's import: rules and templates read the age from it (docs/catalog.md) */
            birthDate?: string;
            /** @description the bank's own columns, typed as the import stored them (a date as YYYY-MM-DD): profile.attributes.<name> in rules (docs/import.md) */
            attributes?: {
                [key: string]: string | number | boolean;
            };
        };
        /** @description one triggered campaign's verdict */
        Explanation: {
            campaign: string;
            /**
             * @description control: the customer is in the control group; the offer was recorded, not made
             * @enum {string}
             */
            verdict: "offered" | "suppressed" | "control";
            /** @description why it was suppressed: a stable reason code, detail after a colon (docs/admin-api.md) */
            reason?: string;
            /** @description the target group the customer was taken as */
            group?: string;
            channel?: string;
            /** @description the offer, once a candidate got as far as a channel slot */
            offer?: string;
            /** @description the response probability used: the group's prior moved by the responses seen, blended with the offer's model by the model's evidence */
            probability?: number;
            /** @description the offer's model: its own probability and the weight it had in the blend */
            model?: {
                probability: number;
                weight: number;
            };
            /** @description expected value: probability x context weight x value x levers */
            score?: number;
            /** @description the Thompson draw the ranking used in place of the probability */
            draw?: number;
            /** @description the outbound run the decision was made for (docs/outbound.md) */
            run?: string;
            /**
             * @description random: this decision was in the random control arm that measures the models' lift
             * @enum {string}
             */
            arm?: "model" | "random";
        } & {
            [key: string]: unknown;
        };
        CustomerMatches: {
            /** @description the customers the identifier belongs to: one, or none */
            customers: {
                /** @description the customer id */
                id: string;
                /** @description last name, first name and patronymic as the card gives them: masked for an analyst (first letters) */
                name?: string;
            }[];
        };
        Erased: {
            /** @description the customer id */
            erased: string;
            /** @description identity links removed */
            identifiers: number;
        };
        StopList: {
            entries: components["schemas"]["StopEntry"][];
        };
        StopEntry: {
            /** @description hash of kind and normalised value: the value itself is not kept */
            key: string;
            /**
             * @description what the value is
             * @enum {string}
             */
            kind: "customer" | "phone" | "email" | "card" | "cookie";
            /** @description a masked hint that does not make a guess cheap: +7 *** *** ** 67, i***@bank.example, **** 9012 */
            hint: string;
            channel?: string;
            campaign?: string;
            reason?: string;
            /** @description when it was added */
            at: number;
            /** @description a label of the key that added it */
            by?: string;
        };
        StopRequest: {
            /**
             * @description what the value is
             * @enum {string}
             */
            kind: "customer" | "phone" | "email" | "card" | "cookie";
            /** @description the customer id, phone, e-mail, card or cookie: normalised, then kept only as a hash */
            value: string;
            /** @description only this channel (every channel when absent) */
            channel?: string | null;
            /** @description only this campaign (every campaign when absent) */
            campaign?: string | null;
            /** @description why, for people reading the list: kept with the entry as given, and in the audit entry with each e-mail address and phone-like run of 7 digits or more replaced by *** */
            reason?: string | null;
        };
        OutboxPage: {
            channel: string;
            entries: components["schemas"]["OutboxEntry"][];
            /** @description the cursor of the page after: pass it as cursor; absent on the last page */
            next?: string;
        };
        /** @description an entry of the delivery outbox: an offer to deliver, or a back-office action, with its delivery attempts */
        OutboxEntry: {
            /** @constant */
            kind: "offer";
            /** @description the offer instance id: the delivery is deduplicated by it */
            instance: string;
            customer: string;
            campaign: string;
            offer: string;
            /** @description when it was queued */
            at: number;
            channel: string;
            /** @description the rendered, personalised message, shaped by the channel's kind */
            content: {
                /** @description the message, rendered and personalised */
                text: string;
            } | {
                /** @description the heading */
                title: string;
                /** @description the body */
                text: string;
                /** @description the answers offered, in display order */
                buttons: {
                    /** @description what a response names as its outcome when the customer presses it (accept, later, ...: the outcome the offer's buttonOutcomes maps it to, else the id itself) */
                    id: string;
                    /** @description what the button says */
                    label: string;
                }[];
            } | {
                /** @description the subject line */
                subject: string;
                /** @description the plain-text body */
                text: string;
                /** @description the HTML body */
                html: string;
            } | {
                /** @description what the operator says */
                script: string;
            };
            /** @description when the offer expires */
            expiresAt: number;
            /** @description the address: phone, e-mail, or a seed recipient */
            to?: string;
            /** @description a seed-list copy for the bank's test recipient */
            seed?: boolean;
            /** @description the sequence number in the queue */
            seq: number;
            attempts: number;
            lastError?: string;
            /** @description not before this time (a retry backoff) */
            nextAttemptAt?: number;
            /** @description given up after the last attempt: a dead letter, kept until retried or removed */
            dead?: boolean;
        } | {
            /** @constant */
            kind: "backoffice";
            /** @description the offer instance id: the delivery is deduplicated by it */
            instance: string;
            customer: string;
            campaign: string;
            offer: string;
            /** @description when it was queued */
            at: number;
            /** @constant */
            channel: "backoffice";
            /** @description the back-office action, e.g. issue_credit */
            action: string;
            /** @description the action's parameters, e.g. {shortfall: 200} */
            vars: {
                [key: string]: number | string;
            };
            /** @description the sequence number in the queue */
            seq: number;
            attempts: number;
            lastError?: string;
            /** @description not before this time (a retry backoff) */
            nextAttemptAt?: number;
            /** @description given up after the last attempt: a dead letter, kept until retried or removed */
            dead?: boolean;
        };
        Clock: {
            /** @enum {string} */
            mode: "system" | "manual";
            /** @description the clock reading */
            now: number;
        };
        /** @description either now or advance */
        ClockMove: {
            /** @description set the clock to this epoch ms (0 to 253402300799999) */
            now?: number;
            /** @description move the clock forward by this many ms */
            advance?: number;
        };
        ClockMoved: {
            /** @enum {string} */
            mode: "system" | "manual";
            /** @description the clock reading */
            now: number;
            /** @description reminders delivered (and decided on) before the answer */
            remindersFired: number;
        };
        /**
         * Kairos catalog
         * @description A Kairos catalog: features, segments, offers, campaigns, partners, places and the contact policy
         */
        Catalog: {
            /** @description the catalog's version (the server numbers what it stores) */
            version: number;
            /** @description what Kairos counts per customer */
            features: {
                /** @description the feature's id, read in rules as feature.<id> */
                id: string;
                /** @description what it counts, for people */
                description?: string;
                /** @description event types that feed it */
                events: string[];
                /** @description only events matching this rule count (event attributes allowed). A rule: {attr, op, value} (ops: eq, ne, gt, gte, lt, lte, between, in, exists…), or {all: [rules]}, {any: [rules]}, {not: rule} */
                where?: unknown;
                /**
                 * @description `count` events; `sum`, `min` or `max` of `field`; `days` with an event; or `daysSince` the last one (min, max and daysSince are missing when the window holds nothing)
                 * @enum {string}
                 */
                aggregate: "count" | "sum" | "min" | "max" | "days" | "daysSince";
                /** @description for sum, min and max: the event field to read, e.g. "event.data.amount" */
                field?: string;
                /** @description the last N local days (or give `calendar`) */
                windowDays?: number;
                /**
                 * @description this calendar month so far, or the whole month before (instead of windowDays)
                 * @enum {string}
                 */
                calendar?: "thisMonth" | "lastMonth";
            }[];
            /** @description weighted scores over features */
            scores?: {
                /** @description the score's id, read in rules as score.<id> */
                id: string;
                /** @description what it scores, for people */
                description?: string;
                /** @description the terms summed */
                terms: {
                    /** @description a feature id */
                    feature: string;
                    /** @description the weight of the feature */
                    weight: number;
                    /** @description the feature counts up to this value */
                    cap?: number;
                }[];
            }[];
            /** @description groups of customers */
            segments: {
                /** @description the segment's id, read in rules as segment.<id> */
                id: string;
                /** @description its name, for people */
                name: string;
                /** @description who it is, for people */
                description?: string;
                /** @description who is in by rule. A rule: {attr, op, value} (ops: eq, ne, gt, gte, lt, lte, between, in, exists…), or {all: [rules]}, {any: [rules]}, {not: rule} */
                rule?: unknown;
                /** @description who is in by name: customer ids put in by hand */
                members?: string[];
            }[];
            /** @description what the bank offers */
            offers: {
                /** @description the offer's id */
                id: string;
                /** @description its name, for people and templates (offer.name) */
                name: string;
                /** @description what it is, for people */
                description?: string;
                /** @description what the offer is worth to the bank if accepted, roubles: a ranking weight */
                value: number;
                /** @description fixed fields templates can use as offer.<name> (rate, term, product name) */
                params?: {
                    [key: string]: string | number;
                };
                /** @description one template per channel the offer can go to */
                templates: {
                    /** @description an offer's message for one channel, with {{variables}}: sms has text; email subject, text and html; screens and push title, text and buttons; operators script */
                    atm?: {
                        /** @description screens and push: the title */
                        title?: string;
                        /** @description the message: SMS, e-mail, screen and push text */
                        text?: string;
                        /** @description e-mail: the subject */
                        subject?: string;
                        /** @description e-mail: the HTML body (the text as paragraphs when absent) */
                        html?: string;
                        /** @description call centre and branch: what the operator says */
                        script?: string;
                        /** @description screens and push: the buttons */
                        buttons?: {
                            /** @description the button's id, sent back in the response */
                            id: string;
                            /** @description the button's text */
                            label: string;
                        }[];
                    };
                    /** @description an offer's message for one channel, with {{variables}}: sms has text; email subject, text and html; screens and push title, text and buttons; operators script */
                    kiosk?: {
                        /** @description screens and push: the title */
                        title?: string;
                        /** @description the message: SMS, e-mail, screen and push text */
                        text?: string;
                        /** @description e-mail: the subject */
                        subject?: string;
                        /** @description e-mail: the HTML body (the text as paragraphs when absent) */
                        html?: string;
                        /** @description call centre and branch: what the operator says */
                        script?: string;
                        /** @description screens and push: the buttons */
                        buttons?: {
                            /** @description the button's id, sent back in the response */
                            id: string;
                            /** @description the button's text */
                            label: string;
                        }[];
                    };
                    /** @description an offer's message for one channel, with {{variables}}: sms has text; email subject, text and html; screens and push title, text and buttons; operators script */
                    ib?: {
                        /** @description screens and push: the title */
                        title?: string;
                        /** @description the message: SMS, e-mail, screen and push text */
                        text?: string;
                        /** @description e-mail: the subject */
                        subject?: string;
                        /** @description e-mail: the HTML body (the text as paragraphs when absent) */
                        html?: string;
                        /** @description call centre and branch: what the operator says */
                        script?: string;
                        /** @description screens and push: the buttons */
                        buttons?: {
                            /** @description the button's id, sent back in the response */
                            id: string;
                            /** @description the button's text */
                            label: string;
                        }[];
                    };
                    /** @description an offer's message for one channel, with {{variables}}: sms has text; email subject, text and html; screens and push title, text and buttons; operators script */
                    web?: {
                        /** @description screens and push: the title */
                        title?: string;
                        /** @description the message: SMS, e-mail, screen and push text */
                        text?: string;
                        /** @description e-mail: the subject */
                        subject?: string;
                        /** @description e-mail: the HTML body (the text as paragraphs when absent) */
                        html?: string;
                        /** @description call centre and branch: what the operator says */
                        script?: string;
                        /** @description screens and push: the buttons */
                        buttons?: {
                            /** @description the button's id, sent back in the response */
                            id: string;
                            /** @description the button's text */
                            label: string;
                        }[];
                    };
                    /** @description an offer's message for one channel, with {{variables}}: sms has text; email subject, text and html; screens and push title, text and buttons; operators script */
                    mobile?: {
                        /** @description screens and push: the title */
                        title?: string;
                        /** @description the message: SMS, e-mail, screen and push text */
                        text?: string;
                        /** @description e-mail: the subject */
                        subject?: string;
                        /** @description e-mail: the HTML body (the text as paragraphs when absent) */
                        html?: string;
                        /** @description call centre and branch: what the operator says */
                        script?: string;
                        /** @description screens and push: the buttons */
                        buttons?: {
                            /** @description the button's id, sent back in the response */
                            id: string;
                            /** @description the button's text */
                            label: string;
                        }[];
                    };
                    /** @description an offer's message for one channel, with {{variables}}: sms has text; email subject, text and html; screens and push title, text and buttons; operators script */
                    callcenter?: {
                        /** @description screens and push: the title */
                        title?: string;
                        /** @description the message: SMS, e-mail, screen and push text */
                        text?: string;
                        /** @description e-mail: the subject */
                        subject?: string;
                        /** @description e-mail: the HTML body (the text as paragraphs when absent) */
                        html?: string;
                        /** @description call centre and branch: what the operator says */
                        script?: string;
                        /** @description screens and push: the buttons */
                        buttons?: {
                            /** @description the button's id, sent back in the response */
                            id: string;
                            /** @description the button's text */
                            label: string;
                        }[];
                    };
                    /** @description an offer's message for one channel, with {{variables}}: sms has text; email subject, text and html; screens and push title, text and buttons; operators script */
                    branch?: {
                        /** @description screens and push: the title */
                        title?: string;
                        /** @description the message: SMS, e-mail, screen and push text */
                        text?: string;
                        /** @description e-mail: the subject */
                        subject?: string;
                        /** @description e-mail: the HTML body (the text as paragraphs when absent) */
                        html?: string;
                        /** @description call centre and branch: what the operator says */
                        script?: string;
                        /** @description screens and push: the buttons */
                        buttons?: {
                            /** @description the button's id, sent back in the response */
                            id: string;
                            /** @description the button's text */
                            label: string;
                        }[];
                    };
                    /** @description an offer's message for one channel, with {{variables}}: sms has text; email subject, text and html; screens and push title, text and buttons; operators script */
                    sms?: {
                        /** @description screens and push: the title */
                        title?: string;
                        /** @description the message: SMS, e-mail, screen and push text */
                        text?: string;
                        /** @description e-mail: the subject */
                        subject?: string;
                        /** @description e-mail: the HTML body (the text as paragraphs when absent) */
                        html?: string;
                        /** @description call centre and branch: what the operator says */
                        script?: string;
                        /** @description screens and push: the buttons */
                        buttons?: {
                            /** @description the button's id, sent back in the response */
                            id: string;
                            /** @description the button's text */
                            label: string;
                        }[];
                    };
                    /** @description an offer's message for one channel, with {{variables}}: sms has text; email subject, text and html; screens and push title, text and buttons; operators script */
                    email?: {
                        /** @description screens and push: the title */
                        title?: string;
                        /** @description the message: SMS, e-mail, screen and push text */
                        text?: string;
                        /** @description e-mail: the subject */
                        subject?: string;
                        /** @description e-mail: the HTML body (the text as paragraphs when absent) */
                        html?: string;
                        /** @description call centre and branch: what the operator says */
                        script?: string;
                        /** @description screens and push: the buttons */
                        buttons?: {
                            /** @description the button's id, sent back in the response */
                            id: string;
                            /** @description the button's text */
                            label: string;
                        }[];
                    };
                    /** @description an offer's message for one channel, with {{variables}}: sms has text; email subject, text and html; screens and push title, text and buttons; operators script */
                    push?: {
                        /** @description screens and push: the title */
                        title?: string;
                        /** @description the message: SMS, e-mail, screen and push text */
                        text?: string;
                        /** @description e-mail: the subject */
                        subject?: string;
                        /** @description e-mail: the HTML body (the text as paragraphs when absent) */
                        html?: string;
                        /** @description call centre and branch: what the operator says */
                        script?: string;
                        /** @description screens and push: the buttons */
                        buttons?: {
                            /** @description the button's id, sent back in the response */
                            id: string;
                            /** @description the button's text */
                            label: string;
                        }[];
                    };
                };
                /** @description two-way SMS: a reply text (case-insensitive, trimmed) and the outcome it means */
                replies?: {
                    [key: string]: string;
                };
                /** @description buttons on screens: button id -> the outcome a response naming the button means (accept: accepted); each a button of the offer's templates; a button not mapped is its own id as the outcome */
                buttonOutcomes?: {
                    [key: string]: string;
                };
                /** @description a back-office action queued when the customer accepts (issue the credit) */
                onAccept?: {
                    /** @description the back-office action */
                    action: string;
                };
                /** @description the product family ("deposits"): repeated declines can pause the whole family */
                group?: string;
                /** @description a business lever on the ranking (push this product this quarter), 1 by default */
                lever?: number;
                /** @description stage filter before ranking: who may have it at all (age, residency, no default). A rule: {attr, op, value} (ops: eq, ne, gt, gte, lt, lte, between, in, exists…), or {all: [rules]}, {any: [rules]}, {not: rule} */
                eligibility?: unknown;
                /** @description stage filter: whether it is relevant to the customer now (not already held). A rule: {attr, op, value} (ops: eq, ne, gt, gte, lt, lte, between, in, exists…), or {all: [rules]}, {any: [rules]}, {not: rule} */
                applicability?: unknown;
                /** @description stage filter: whether it is appropriate for the customer (affordability, risk appetite). A rule: {attr, op, value} (ops: eq, ne, gt, gte, lt, lte, between, in, exists…), or {all: [rules]}, {any: [rules]}, {not: rule} */
                suitability?: unknown;
                /** @description what the adaptive model reads besides its defaults: inputs to ignore, binnings, crosses */
                model?: {
                    /** @description inputs the model does not read (data.requestId, cal.day) */
                    ignore?: string[];
                    /** @description an input binned otherwise than by default: "log2" (powers of two), "category" (each value its own), or steps [1000, 5000, 20000] */
                    bins?: {
                        [key: string]: "log2" | "category" | number[];
                    };
                    /** @description crosses, e.g. [[data.contact, cal.month]] */
                    crosses?: string[][];
                };
            }[];
            /** @description who gets which offer, when */
            campaigns: {
                /** @description the campaign's id */
                id: string;
                /** @description its name, for people */
                name: string;
                /** @description what it is for, for people */
                description?: string;
                /**
                 * @description draft, scheduled, active, paused or completed: only active campaigns speak
                 * @enum {string}
                 */
                status: "draft" | "scheduled" | "active" | "paused" | "completed";
                /** @description ISO date-time it starts, inclusive, e.g. "2026-01-01T00:00:00+03:00" */
                startsAt?: string;
                /** @description ISO date-time it ends, exclusive */
                endsAt?: string;
                /** @description the hours the campaign runs, customer's local time (the same as trigger.localTime) */
                activeHours?: {
                    /** @description the first minute, "HH:MM" */
                    from: string;
                    /** @description the minute it ends, "HH:MM" (exclusive) */
                    to: string;
                };
                /** @description a lever on the ranking, 1 by default */
                priority?: number;
                /** @description the offer's id */
                offer: string;
                /** @description channels in preference order; screens and operators only in their own session */
                channels: ("atm" | "kiosk" | "ib" | "web" | "mobile" | "callcenter" | "branch" | "sms" | "email" | "push")[];
                /** @description when the campaign speaks: {events} or {passive: true}, and conditions */
                trigger?: {
                    /** @description event types that trigger the campaign (segment.entered.<id> and segment.exited.<id> too) */
                    events?: string[];
                    /** @description offered whenever the customer is in a session on one of the campaign's inbound channels */
                    passive?: boolean;
                    /** @description a rule over the event, the customer and the campaign's variables. A rule: {attr, op, value} (ops: eq, ne, gt, gte, lt, lte, between, in, exists…), or {all: [rules]}, {any: [rules]}, {not: rule} */
                    when?: unknown;
                    /** @description local time window in the customer's time zone, "HH:MM" to "HH:MM" (end exclusive) */
                    localTime?: {
                        /** @description the first minute, "HH:MM" */
                        from: string;
                        /** @description the minute it ends, "HH:MM" (exclusive) */
                        to: string;
                    };
                    /** @description ISO weekdays, 1 = Monday .. 7 = Sunday */
                    weekdays?: number[];
                    /** @description event channels the trigger accepts */
                    channels?: string[];
                    /** @description a partner of this kind within the radius of the event's place */
                    near?: {
                        /** @description the kind of partner */
                        partners: string;
                        /** @description the radius, metres */
                        radiusM: number;
                    };
                };
                /** @description an outbound campaign: its runs (by hand or on a schedule) hand it to each customer of its segments once, through the customer's actor and every rule; no event triggers it */
                outbound?: {
                    /** @description the segments a run goes over (a customer in any of them); the whole base when absent */
                    segments?: string[];
                    /** @description when runs start by themselves: {once}, {daily} or {weekly} */
                    schedule?: {
                        /** @description one run at that time: an ISO date-time, e.g. "2027-01-15T10:00:00+03:00"; without an offset, in the policy's defaultTimezone */
                        once?: string;
                        /** @description a run every day at that time of day, "HH:MM", in the policy's defaultTimezone */
                        daily?: string;
                        /** @description a run every week on that weekday at that time */
                        weekly?: {
                            /** @description an ISO weekday, 1 = Monday .. 7 = Sunday */
                            weekday: number;
                            /** @description the time of day, "HH:MM", in the policy's defaultTimezone */
                            at: string;
                        };
                    };
                    /** @description call-centre waves (docs/outbound.md#call-centre-waves): each run calls in order of expected value; the next wave re-calls those not reached */
                    waves?: {
                        /** @description waves in all, the first included */
                        count: number;
                        /** @description how long after a wave finished the next one starts, e.g. "2d" */
                        every: string;
                        /** @description who becomes a warm lead from a wave's call outcomes */
                        warmLeads?: {
                            /** @description the interest score (1..100) at or above which a customer becomes a warm lead (not 0: every call would make one) */
                            threshold: number;
                            /** @description the interest score each call outcome means (default: interested 80, callback 60, later 50, others 0); a response's data.interest (0..100) overrides it */
                            interest?: {
                                [key: string]: number;
                            };
                            /** @description the back-office action that notifies the customer's manager (default notify_manager) */
                            action?: string;
                        };
                    };
                };
                /** @description the target groups, first match wins */
                groups: {
                    /** @description the target group's id */
                    id: string;
                    /** @description its name, for people */
                    name?: string;
                    /** @description who is in the group. A rule: {attr, op, value} (ops: eq, ne, gt, gte, lt, lte, between, in, exists…), or {all: [rules]}, {any: [rules]}, {not: rule} */
                    when: unknown;
                    /** @description the marketer's estimate of the response probability in this group, percent (10 = 10 %) */
                    responsePercent: number;
                }[];
                /** @description variables computed per event, read as vars.<name> */
                vars?: {
                    [key: string]: {
                        /** @description a number from the event or profile, e.g. "event.data.requested" */
                        from: string;
                        /** @description subtract another attribute */
                        minus?: string;
                        /** @description round up to a multiple of this (credit in whole hundreds) */
                        roundUpTo?: number;
                        /** @description map the number onto steps: the value of the highest step whose threshold it reaches */
                        tiers?: [
                            number,
                            number
                        ][];
                    };
                };
                /** @description how long the offer stands: "30m", "24h", "7d" (the policy's by default) */
                expiresIn?: string;
                /** @description false for service messages that the contact policy does not count */
                marketing?: boolean;
                /** @description the longest SMS this campaign may send, in parts (3 by default) */
                maxSmsParts?: number;
                /** @description the customer is acting right now (a declined withdrawal): quiet hours do not apply */
                quietHoursExempt?: boolean;
                /** @description not the same thing again too soon; days, 0 turns a rule off */
                recency?: {
                    /** @description not the same offer within this many days */
                    sameOfferDays: number;
                    /** @description not the same campaign within this many days */
                    sameCampaignDays: number;
                    /** @description a pause after the customer declined the offer */
                    afterDeclineDays: number;
                };
                /** @description percent of customers held out as a control group (the same customer is always in or out) */
                controlPercent?: number;
                /** @description test recipients who get a copy of every SMS, e-mail or push the campaign sends, rendered for the customer masked (names as first letters, every other value of the customer and of their event ***): the layout and the delivery, not the customer's data */
                seeds?: {
                    /**
                     * @description sms, email or push
                     * @enum {string}
                     */
                    channel: "atm" | "kiosk" | "ib" | "web" | "mobile" | "callcenter" | "branch" | "sms" | "email" | "push";
                    /** @description the address */
                    to: string;
                }[];
                /** @description the most the campaign may spend: contacts, and money at a cost per channel */
                budget?: {
                    /** @description the most contacts */
                    maxContacts?: number;
                    /** @description the most money, roubles */
                    maxCost?: number;
                    /** @description roubles per contact, by channel (an SMS part, an e-mail); channels not named cost nothing */
                    costPerChannel?: {
                        /** @description roubles per contact */
                        atm?: number;
                        /** @description roubles per contact */
                        kiosk?: number;
                        /** @description roubles per contact */
                        ib?: number;
                        /** @description roubles per contact */
                        web?: number;
                        /** @description roubles per contact */
                        mobile?: number;
                        /** @description roubles per contact */
                        callcenter?: number;
                        /** @description roubles per contact */
                        branch?: number;
                        /** @description roubles per contact */
                        sms?: number;
                        /** @description roubles per contact */
                        email?: number;
                        /** @description roubles per contact */
                        push?: number;
                    };
                };
                /** @description stage filter at campaign level: who may have it at all. A rule: {attr, op, value} (ops: eq, ne, gt, gte, lt, lte, between, in, exists…), or {all: [rules]}, {any: [rules]}, {not: rule} */
                eligibility?: unknown;
                /** @description stage filter at campaign level: whether it is relevant now. A rule: {attr, op, value} (ops: eq, ne, gt, gte, lt, lte, between, in, exists…), or {all: [rules]}, {any: [rules]}, {not: rule} */
                applicability?: unknown;
                /** @description stage filter at campaign level: whether it is appropriate. A rule: {attr, op, value} (ops: eq, ne, gt, gte, lt, lte, between, in, exists…), or {all: [rules]}, {any: [rules]}, {not: rule} */
                suitability?: unknown;
                /** @description below this response probability, percent, this campaign stays silent (the policy's floor by default) */
                minResponsePercent?: number;
                /** @description a weight on the ranking per channel the offer would go to (1 by default) */
                contextWeights?: {
                    /** @description the weight */
                    atm?: number;
                    /** @description the weight */
                    kiosk?: number;
                    /** @description the weight */
                    ib?: number;
                    /** @description the weight */
                    web?: number;
                    /** @description the weight */
                    mobile?: number;
                    /** @description the weight */
                    callcenter?: number;
                    /** @description the weight */
                    branch?: number;
                    /** @description the weight */
                    sms?: number;
                    /** @description the weight */
                    email?: number;
                    /** @description the weight */
                    push?: number;
                };
                /** @description after `declines` declines within `withinDays`, the offer (or its product family) pauses for `pauseDays` */
                suppression?: {
                    /** @description declines that pause the offer */
                    declines: number;
                    /** @description counted within this many days */
                    withinDays: number;
                    /** @description the pause, days from the last decline */
                    pauseDays: number;
                    /**
                     * @description `offer`: this offer only; `group`: every offer of the same product family
                     * @enum {string}
                     */
                    scope?: "offer" | "group";
                };
                /** @description what counts as the campaign working, for the uplift report */
                goal?: {
                    /** @description events that count as the goal reached */
                    events: string[];
                    /** @description a rule over the goal event (its data) and the customer. A rule: {attr, op, value} (ops: eq, ne, gt, gte, lt, lte, between, in, exists…), or {all: [rules]}, {any: [rules]}, {not: rule} */
                    when?: unknown;
                    /** @description within this many days after the contact */
                    withinDays: number;
                };
                /** @description a durable reminder after each contact (the customer's answer by then is in event.data.outcome) */
                followUp?: {
                    /** @description how long after each contact, e.g. "30d" */
                    after: string;
                    /** @description the event delivered to the customer then */
                    event: string;
                };
                /** @description screen and operator channels this campaign may reach outside a session, through the outbox (an outbound call list, an inbox, a worklist) */
                pushTo?: ("atm" | "kiosk" | "ib" | "web" | "mobile" | "callcenter" | "branch" | "sms" | "email" | "push")[];
                /** @description what the adaptive model reads besides its defaults: inputs to ignore, binnings, crosses */
                model?: {
                    /** @description inputs the model does not read (data.requestId, cal.day) */
                    ignore?: string[];
                    /** @description an input binned otherwise than by default: "log2" (powers of two), "category" (each value its own), or steps [1000, 5000, 20000] */
                    bins?: {
                        [key: string]: "log2" | "category" | number[];
                    };
                    /** @description crosses, e.g. [[data.contact, cal.month]] */
                    crosses?: string[][];
                };
            }[];
            /** @description partners campaigns can point to */
            partners: {
                /** @description the partner's id */
                id: string;
                /** @description the kind of partner, named by a trigger's near.partners */
                kind: string;
                /** @description its name, for templates (partner.name) */
                name: string;
                /** @description its address */
                address: string;
                /** @description latitude */
                lat: number;
                /** @description longitude */
                lon: number;
                /** @description the partner's offer, in the customer's language */
                note?: string;
            }[];
            /** @description the bank's branches, ATMs and kiosks */
            places: {
                /** @description the place's id, as gateways name it in event.location.place */
                id: string;
                /**
                 * @description branch, atm or kiosk
                 * @enum {string}
                 */
                kind: "branch" | "atm" | "kiosk";
                /** @description its name */
                name: string;
                /** @description its address */
                address: string;
                /** @description latitude */
                lat: number;
                /** @description longitude */
                lon: number;
            }[];
            /** @description durable reminders set by events */
            reminders?: {
                /** @description the reminder's id */
                id: string;
                /** @description event types that set (or move) the reminder */
                on: string[];
                /** @description the attribute holding the time, e.g. "event.data.dueAt" (the event's own time by default) */
                at?: string;
                /** @description moved by this, e.g. "-14d": two weeks before */
                offset?: string;
                /** @description the event delivered to the customer then */
                event: string;
            }[];
            /** @description the contact policy: caps, quiet hours, recency, consent, learning */
            policy: {
                /** @description the IANA time zone of customers without one, e.g. "Europe/Moscow" */
                defaultTimezone: string;
                /** @description frequency caps */
                caps: {
                    /**
                     * @description a channel, "*" for each channel on its own, or "any" for all channels together
                     * @enum {string}
                     */
                    channel: "atm" | "kiosk" | "ib" | "web" | "mobile" | "callcenter" | "branch" | "sms" | "email" | "push" | "*" | "any";
                    /** @description the most contacts in the window */
                    max: number;
                    /** @description the sliding window, e.g. "7d" */
                    window: string;
                }[];
                /** @description below this response probability, percent, Kairos stays silent */
                minResponsePercent: number;
                /** @description at most this many actions in one decision */
                maxActions: number;
                /** @description default offer lifetime */
                expiresIn: string;
                /** @description channels on which a marketing contact needs the customer's consent */
                consentRequired: ("atm" | "kiosk" | "ib" | "web" | "mobile" | "callcenter" | "branch" | "sms" | "email" | "push")[];
                /** @description hours when push channels may be used, customer's local time */
                quietHours: {
                    /** @description channels the allowed hours apply to (push channels: SMS, push) */
                    channels: ("atm" | "kiosk" | "ib" | "web" | "mobile" | "callcenter" | "branch" | "sms" | "email" | "push")[];
                    /** @description allowed hours Monday to Friday */
                    weekdays: {
                        /** @description the first minute, "HH:MM" */
                        from: string;
                        /** @description the minute it ends, "HH:MM" (exclusive) */
                        to: string;
                    };
                    /** @description allowed hours on Saturday and Sunday */
                    weekends: {
                        /** @description the first minute, "HH:MM" */
                        from: string;
                        /** @description the minute it ends, "HH:MM" (exclusive) */
                        to: string;
                    };
                };
                /** @description not the same thing again too soon; days, 0 turns a rule off */
                recency: {
                    /** @description not the same offer within this many days */
                    sameOfferDays: number;
                    /** @description not the same campaign within this many days */
                    sameCampaignDays: number;
                    /** @description a pause after the customer declined the offer */
                    afterDeclineDays: number;
                };
                /** @description in-session channels (the ATM screen while the customer stands at it) that the caps do not count */
                sessionExempt: ("atm" | "kiosk" | "ib" | "web" | "mobile" | "callcenter" | "branch" | "sms" | "email" | "push")[];
                /** @description how many responses the marketer's response probability counts for before evidence outweighs it (20 by default) */
                priorStrength?: number;
                /** @description after `declines` declines within `withinDays`, the offer (or its product family) pauses for `pauseDays` */
                suppression?: {
                    /** @description declines that pause the offer */
                    declines: number;
                    /** @description counted within this many days */
                    withinDays: number;
                    /** @description the pause, days from the last decline */
                    pauseDays: number;
                    /**
                     * @description `offer`: this offer only; `group`: every offer of the same product family
                     * @enum {string}
                     */
                    scope?: "offer" | "group";
                };
                /** @description "maybe later" lowers an offer's weight for a while (x0.5 for 14 days by default) */
                maybeLater?: {
                    /** @description the weight multiplier */
                    weight: number;
                    /** @description for this many days */
                    days: number;
                };
                /** @description how decisions learn from responses (adaptive models per offer) */
                learning?: {
                    /** @description false: rank by the target groups' probabilities alone */
                    models?: boolean;
                    /** @description how many examples a model needs to weigh as much as the target group's probability (1000 by default) */
                    modelEvidence?: number;
                    /**
                     * @description `thompson`: rank by a draw from each offer's probability distribution; `none`: by its mean
                     * @enum {string}
                     */
                    exploration?: "thompson" | "none";
                    /** @description percent of decisions that rank the eligible offers at random: the control that measures the models' lift (2 by default) */
                    randomPercent?: number;
                    /** @description 2^bits weights per offer model (14 by default) */
                    bits?: number;
                    /** @description drift: answers after which an earlier answer weighs half, in a target group's probability and in each model weight's learning rate (2000 by default; 0 never forgets) */
                    halfLife?: number;
                    /** @description the random arm reaches customers below the propensity floor too, within every contact rule, so the models learn about them (true by default) */
                    belowFloor?: boolean;
                    /** @description a model's AUC and lift are shown (GET /v1/models, the metrics) once this many answers are behind them, and the model has learnt from as many (200 by default) */
                    figureAnswers?: number;
                    /** @description … with at least this many positive and this many negative answers (20 by default) */
                    figureOutcomes?: number;
                };
                /** @description what a channel can take a day across all customers (the call centre's calls): past it, the channel is full until tomorrow */
                channelCapacity?: {
                    atm?: {
                        /** @description contacts a day */
                        perDay: number;
                    };
                    kiosk?: {
                        /** @description contacts a day */
                        perDay: number;
                    };
                    ib?: {
                        /** @description contacts a day */
                        perDay: number;
                    };
                    web?: {
                        /** @description contacts a day */
                        perDay: number;
                    };
                    mobile?: {
                        /** @description contacts a day */
                        perDay: number;
                    };
                    callcenter?: {
                        /** @description contacts a day */
                        perDay: number;
                    };
                    branch?: {
                        /** @description contacts a day */
                        perDay: number;
                    };
                    sms?: {
                        /** @description contacts a day */
                        perDay: number;
                    };
                    email?: {
                        /** @description contacts a day */
                        perDay: number;
                    };
                    push?: {
                        /** @description contacts a day */
                        perDay: number;
                    };
                };
            };
        };
        /** @description the catalog version a change made */
        Version: {
            /** @description the catalog version now in force */
            version: number;
        };
        History: {
            entries: components["schemas"]["AuditEntry"][];
        };
        AuditEntry: {
            seq: number;
            /** @description epoch milliseconds */
            at: number;
            /** @description a label of the key that made the change */
            by: string;
            /** @enum {string} */
            action: "seed" | "create" | "update" | "delete" | "status" | "policy" | "replace";
            /**
             * @description the kind of item changed, the policy, or the whole catalog
             * @enum {string}
             */
            kind?: "features" | "segments" | "offers" | "campaigns" | "partners" | "places" | "policy" | "catalog";
            id?: string;
            /** @description the version the change made */
            version: number;
            detail?: string;
        };
        /** @description the contact policy: caps, quiet hours, recency, consent, learning */
        Policy: {
            /** @description the IANA time zone of customers without one, e.g. "Europe/Moscow" */
            defaultTimezone: string;
            /** @description frequency caps */
            caps: {
                /**
                 * @description a channel, "*" for each channel on its own, or "any" for all channels together
                 * @enum {string}
                 */
                channel: "atm" | "kiosk" | "ib" | "web" | "mobile" | "callcenter" | "branch" | "sms" | "email" | "push" | "*" | "any";
                /** @description the most contacts in the window */
                max: number;
                /** @description the sliding window, e.g. "7d" */
                window: string;
            }[];
            /** @description below this response probability, percent, Kairos stays silent */
            minResponsePercent: number;
            /** @description at most this many actions in one decision */
            maxActions: number;
            /** @description default offer lifetime */
            expiresIn: string;
            /** @description channels on which a marketing contact needs the customer's consent */
            consentRequired: ("atm" | "kiosk" | "ib" | "web" | "mobile" | "callcenter" | "branch" | "sms" | "email" | "push")[];
            /** @description hours when push channels may be used, customer's local time */
            quietHours: {
                /** @description channels the allowed hours apply to (push channels: SMS, push) */
                channels: ("atm" | "kiosk" | "ib" | "web" | "mobile" | "callcenter" | "branch" | "sms" | "email" | "push")[];
                /** @description allowed hours Monday to Friday */
                weekdays: {
                    /** @description the first minute, "HH:MM" */
                    from: string;
                    /** @description the minute it ends, "HH:MM" (exclusive) */
                    to: string;
                };
                /** @description allowed hours on Saturday and Sunday */
                weekends: {
                    /** @description the first minute, "HH:MM" */
                    from: string;
                    /** @description the minute it ends, "HH:MM" (exclusive) */
                    to: string;
                };
            };
            /** @description not the same thing again too soon; days, 0 turns a rule off */
            recency: {
                /** @description not the same offer within this many days */
                sameOfferDays: number;
                /** @description not the same campaign within this many days */
                sameCampaignDays: number;
                /** @description a pause after the customer declined the offer */
                afterDeclineDays: number;
            };
            /** @description in-session channels (the ATM screen while the customer stands at it) that the caps do not count */
            sessionExempt: ("atm" | "kiosk" | "ib" | "web" | "mobile" | "callcenter" | "branch" | "sms" | "email" | "push")[];
            /** @description how many responses the marketer's response probability counts for before evidence outweighs it (20 by default) */
            priorStrength?: number;
            /** @description after `declines` declines within `withinDays`, the offer (or its product family) pauses for `pauseDays` */
            suppression?: {
                /** @description declines that pause the offer */
                declines: number;
                /** @description counted within this many days */
                withinDays: number;
                /** @description the pause, days from the last decline */
                pauseDays: number;
                /**
                 * @description `offer`: this offer only; `group`: every offer of the same product family
                 * @enum {string}
                 */
                scope?: "offer" | "group";
            };
            /** @description "maybe later" lowers an offer's weight for a while (x0.5 for 14 days by default) */
            maybeLater?: {
                /** @description the weight multiplier */
                weight: number;
                /** @description for this many days */
                days: number;
            };
            /** @description how decisions learn from responses (adaptive models per offer) */
            learning?: {
                /** @description false: rank by the target groups' probabilities alone */
                models?: boolean;
                /** @description how many examples a model needs to weigh as much as the target group's probability (1000 by default) */
                modelEvidence?: number;
                /**
                 * @description `thompson`: rank by a draw from each offer's probability distribution; `none`: by its mean
                 * @enum {string}
                 */
                exploration?: "thompson" | "none";
                /** @description percent of decisions that rank the eligible offers at random: the control that measures the models' lift (2 by default) */
                randomPercent?: number;
                /** @description 2^bits weights per offer model (14 by default) */
                bits?: number;
                /** @description drift: answers after which an earlier answer weighs half, in a target group's probability and in each model weight's learning rate (2000 by default; 0 never forgets) */
                halfLife?: number;
                /** @description the random arm reaches customers below the propensity floor too, within every contact rule, so the models learn about them (true by default) */
                belowFloor?: boolean;
                /** @description a model's AUC and lift are shown (GET /v1/models, the metrics) once this many answers are behind them, and the model has learnt from as many (200 by default) */
                figureAnswers?: number;
                /** @description … with at least this many positive and this many negative answers (20 by default) */
                figureOutcomes?: number;
            };
            /** @description what a channel can take a day across all customers (the call centre's calls): past it, the channel is full until tomorrow */
            channelCapacity?: {
                atm?: {
                    /** @description contacts a day */
                    perDay: number;
                };
                kiosk?: {
                    /** @description contacts a day */
                    perDay: number;
                };
                ib?: {
                    /** @description contacts a day */
                    perDay: number;
                };
                web?: {
                    /** @description contacts a day */
                    perDay: number;
                };
                mobile?: {
                    /** @description contacts a day */
                    perDay: number;
                };
                callcenter?: {
                    /** @description contacts a day */
                    perDay: number;
                };
                branch?: {
                    /** @description contacts a day */
                    perDay: number;
                };
                sms?: {
                    /** @description contacts a day */
                    perDay: number;
                };
                email?: {
                    /** @description contacts a day */
                    perDay: number;
                };
                push?: {
                    /** @description contacts a day */
                    perDay: number;
                };
            };
        };
        StatusMove: {
            /**
             * @description the status to move to
             * @enum {string}
             */
            status: "draft" | "scheduled" | "active" | "paused" | "completed";
        };
        StatusMoved: {
            version: number;
            from: string;
            to: string;
        };
        /** @description an offer's message for one channel, with {{variables}}: sms has text; email subject, text and html; screens and push title, text and buttons; operators script */
        Template: {
            /** @description screens and push: the title */
            title?: string;
            /** @description the message: SMS, e-mail, screen and push text */
            text?: string;
            /** @description e-mail: the subject */
            subject?: string;
            /** @description e-mail: the HTML body (the text as paragraphs when absent) */
            html?: string;
            /** @description call centre and branch: what the operator says */
            script?: string;
            /** @description screens and push: the buttons */
            buttons?: {
                /** @description the button's id, sent back in the response */
                id: string;
                /** @description the button's text */
                label: string;
            }[];
        };
        PutItem: {
            version: number;
            /** @description true when the item is new (201) */
            created: boolean;
        };
        Propensity: {
            campaign: string;
            priorStrength: number;
            groups: {
                group: string;
                prior: number;
                positives: number;
                negatives: number;
                probability: number;
            }[];
        };
        PreviewRequest: {
            /** @description the customer to render for (a sample one when absent) */
            customer?: string;
            /** @description the event type (the campaign's first trigger event by default) */
            type?: string;
            /** @description when it happened, epoch milliseconds; the server's clock when absent. At most 5 min ahead of the server's clock and 7 days behind it (configurable) */
            at?: number;
            /** @description the event payload, e.g. {requested: 1000, balance: 800, currency: "RUB"}; plain data (strings, finite numbers, booleans, nil, lists and maps), at most 8 levels deep and 4,096 bytes as MessagePack, keys at most 128 characters */
            data?: {
                [key: string]: unknown;
            };
        } & {
            [key: string]: unknown;
        };
        Preview: {
            campaign: string;
            customer: string;
            previews: {
                channel: string;
                /** @description the rendered message */
                content?: {
                    [key: string]: unknown;
                };
                sms?: {
                    encoding: string;
                    parts: number;
                } & {
                    [key: string]: unknown;
                };
                /** @description why the message cannot be rendered */
                problem?: string;
            }[];
        };
        /** @description an event as a gateway would send it, without id and customer; checked as a gateway event is */
        EventFields: {
            /** @description the event type, e.g. atm.withdrawal.declined, card.transaction, branch.visit, web.pageview, ib.login */
            type: string;
            /** @description where it happened: atm, kiosk, branch, web, mobile, ib, pos, callcenter; the event type's first part when absent */
            channel?: string;
            /** @description when it happened, epoch milliseconds; the server's clock when absent. At most 5 min ahead of the server's clock and 7 days behind it (configurable) */
            at?: number;
            /** @description the event payload, e.g. {requested: 1000, balance: 800, currency: "RUB"}; plain data (strings, finite numbers, booleans, nil, lists and maps), at most 8 levels deep and 4,096 bytes as MessagePack, keys at most 128 characters */
            data?: {
                [key: string]: unknown;
            };
            /** @description where it happened */
            location?: {
                /** @description latitude in degrees */
                lat: number;
                /** @description longitude in degrees */
                lon: number;
                /** @description a branch or ATM id */
                place?: string;
            };
        } & {
            [key: string]: unknown;
        };
        ExplainReply: {
            customer: string;
            /** @description the moment decided for */
            at: number;
            actions: components["schemas"]["Action"][];
            explain: components["schemas"]["Explanation"][];
        };
        /**
         * action
         * @description one thing Kairos decided to do now
         */
        Action: {
            /** @description the offer instance id (<customer>:<n>.<hash>); a later response or confirmation names it */
            instance: string;
            /** @description the campaign id */
            campaign: string;
            /** @description the offer id */
            offer: string;
            /** @description where it goes: the requesting channel (show it now) or another (sms, email, push, ...: already queued for delivery) */
            channel: string;
            /** @description the rendered, personalised message, shaped by the channel's kind */
            content: {
                /** @description the message, rendered and personalised */
                text: string;
            } | {
                /** @description the heading */
                title: string;
                /** @description the body */
                text: string;
                /** @description the answers offered, in display order */
                buttons: {
                    /** @description what a response names as its outcome when the customer presses it (accept, later, ...: the outcome the offer's buttonOutcomes maps it to, else the id itself) */
                    id: string;
                    /** @description what the button says */
                    label: string;
                }[];
            } | {
                /** @description the subject line */
                subject: string;
                /** @description the plain-text body */
                text: string;
                /** @description the HTML body */
                html: string;
            } | {
                /** @description what the operator says */
                script: string;
            };
            /** @description when the offer lapses, epoch milliseconds; a response after that is recorded but no longer accepts it */
            expiresAt?: number;
        };
        SegmentSizes: {
            /** @description every segment of the catalog, in the catalog's order */
            sizes: {
                /** @description the segment id */
                segment: string;
                /** @description how many customers are in it now */
                size: number;
            }[];
            /**
             * @description present while the memberships are still being worked out, so the sizes (and members) are not complete yet: `sweep`, the segment sweep has not yet finished a pass under the segment rules in force (a store never swept, the rules changed); `import`, an import's pass over the customers it created or changed is not done. An outbound run over segments waits meanwhile (`waitingFor: segments`)
             * @enum {string}
             */
            pending?: "sweep" | "import";
        };
        FeatureList: {
            version: number;
            items: components["schemas"]["Feature"][];
        };
        /** @description a windowed aggregate of the customer's events: "3 cafe payments in 30 days" */
        Feature: {
            /** @description the item's id; the path's when absent */
            id?: string;
            /** @description what it counts, for people */
            description?: string;
            /** @description event types that feed it */
            events: string[];
            /** @description only events matching this rule count (event attributes allowed). A rule: {attr, op, value} (ops: eq, ne, gt, gte, lt, lte, between, in, exists…), or {all: [rules]}, {any: [rules]}, {not: rule} */
            where?: unknown;
            /**
             * @description `count` events; `sum`, `min` or `max` of `field`; `days` with an event; or `daysSince` the last one (min, max and daysSince are missing when the window holds nothing)
             * @enum {string}
             */
            aggregate: "count" | "sum" | "min" | "max" | "days" | "daysSince";
            /** @description for sum, min and max: the event field to read, e.g. "event.data.amount" */
            field?: string;
            /** @description the last N local days (or give `calendar`) */
            windowDays?: number;
            /**
             * @description this calendar month so far, or the whole month before (instead of windowDays)
             * @enum {string}
             */
            calendar?: "thisMonth" | "lastMonth";
        };
        SegmentList: {
            version: number;
            items: components["schemas"]["Segment"][];
        };
        /** @description a group of customers, by rule, by name, or both */
        Segment: {
            /** @description the item's id; the path's when absent */
            id?: string;
            /** @description its name, for people */
            name: string;
            /** @description who it is, for people */
            description?: string;
            /** @description who is in by rule. A rule: {attr, op, value} (ops: eq, ne, gt, gte, lt, lte, between, in, exists…), or {all: [rules]}, {any: [rules]}, {not: rule} */
            rule?: unknown;
            /** @description who is in by name: customer ids put in by hand */
            members?: string[];
        };
        /** @description a segment with its size */
        SegmentWithSize: {
            /** @description the item's id; the path's when absent */
            id?: string;
            /** @description its name, for people */
            name: string;
            /** @description who it is, for people */
            description?: string;
            /** @description who is in by rule. A rule: {attr, op, value} (ops: eq, ne, gt, gte, lt, lte, between, in, exists…), or {all: [rules]}, {any: [rules]}, {not: rule} */
            rule?: unknown;
            /** @description who is in by name: customer ids put in by hand */
            members?: string[];
            /** @description how many customers are in it now, kept live as members enter and leave */
            size: number;
            /** @description the last 30 days, oldest first, today last; days before the first change counted are left out */
            sizeHistory: {
                /** @description YYYY-MM-DD (UTC, the server clock) */
                day: string;
                /** @description the size at the end of that day (now, for today) */
                size: number;
            }[];
        };
        OfferList: {
            version: number;
            items: components["schemas"]["Offer"][];
        };
        /** @description what the bank offers, with its message per channel */
        Offer: {
            /** @description the item's id; the path's when absent */
            id?: string;
            /** @description its name, for people and templates (offer.name) */
            name: string;
            /** @description what it is, for people */
            description?: string;
            /** @description what the offer is worth to the bank if accepted, roubles: a ranking weight */
            value: number;
            /** @description fixed fields templates can use as offer.<name> (rate, term, product name) */
            params?: {
                [key: string]: string | number;
            };
            /** @description one template per channel the offer can go to */
            templates: {
                /** @description an offer's message for one channel, with {{variables}}: sms has text; email subject, text and html; screens and push title, text and buttons; operators script */
                atm?: {
                    /** @description screens and push: the title */
                    title?: string;
                    /** @description the message: SMS, e-mail, screen and push text */
                    text?: string;
                    /** @description e-mail: the subject */
                    subject?: string;
                    /** @description e-mail: the HTML body (the text as paragraphs when absent) */
                    html?: string;
                    /** @description call centre and branch: what the operator says */
                    script?: string;
                    /** @description screens and push: the buttons */
                    buttons?: {
                        /** @description the button's id, sent back in the response */
                        id: string;
                        /** @description the button's text */
                        label: string;
                    }[];
                };
                /** @description an offer's message for one channel, with {{variables}}: sms has text; email subject, text and html; screens and push title, text and buttons; operators script */
                kiosk?: {
                    /** @description screens and push: the title */
                    title?: string;
                    /** @description the message: SMS, e-mail, screen and push text */
                    text?: string;
                    /** @description e-mail: the subject */
                    subject?: string;
                    /** @description e-mail: the HTML body (the text as paragraphs when absent) */
                    html?: string;
                    /** @description call centre and branch: what the operator says */
                    script?: string;
                    /** @description screens and push: the buttons */
                    buttons?: {
                        /** @description the button's id, sent back in the response */
                        id: string;
                        /** @description the button's text */
                        label: string;
                    }[];
                };
                /** @description an offer's message for one channel, with {{variables}}: sms has text; email subject, text and html; screens and push title, text and buttons; operators script */
                ib?: {
                    /** @description screens and push: the title */
                    title?: string;
                    /** @description the message: SMS, e-mail, screen and push text */
                    text?: string;
                    /** @description e-mail: the subject */
                    subject?: string;
                    /** @description e-mail: the HTML body (the text as paragraphs when absent) */
                    html?: string;
                    /** @description call centre and branch: what the operator says */
                    script?: string;
                    /** @description screens and push: the buttons */
                    buttons?: {
                        /** @description the button's id, sent back in the response */
                        id: string;
                        /** @description the button's text */
                        label: string;
                    }[];
                };
                /** @description an offer's message for one channel, with {{variables}}: sms has text; email subject, text and html; screens and push title, text and buttons; operators script */
                web?: {
                    /** @description screens and push: the title */
                    title?: string;
                    /** @description the message: SMS, e-mail, screen and push text */
                    text?: string;
                    /** @description e-mail: the subject */
                    subject?: string;
                    /** @description e-mail: the HTML body (the text as paragraphs when absent) */
                    html?: string;
                    /** @description call centre and branch: what the operator says */
                    script?: string;
                    /** @description screens and push: the buttons */
                    buttons?: {
                        /** @description the button's id, sent back in the response */
                        id: string;
                        /** @description the button's text */
                        label: string;
                    }[];
                };
                /** @description an offer's message for one channel, with {{variables}}: sms has text; email subject, text and html; screens and push title, text and buttons; operators script */
                mobile?: {
                    /** @description screens and push: the title */
                    title?: string;
                    /** @description the message: SMS, e-mail, screen and push text */
                    text?: string;
                    /** @description e-mail: the subject */
                    subject?: string;
                    /** @description e-mail: the HTML body (the text as paragraphs when absent) */
                    html?: string;
                    /** @description call centre and branch: what the operator says */
                    script?: string;
                    /** @description screens and push: the buttons */
                    buttons?: {
                        /** @description the button's id, sent back in the response */
                        id: string;
                        /** @description the button's text */
                        label: string;
                    }[];
                };
                /** @description an offer's message for one channel, with {{variables}}: sms has text; email subject, text and html; screens and push title, text and buttons; operators script */
                callcenter?: {
                    /** @description screens and push: the title */
                    title?: string;
                    /** @description the message: SMS, e-mail, screen and push text */
                    text?: string;
                    /** @description e-mail: the subject */
                    subject?: string;
                    /** @description e-mail: the HTML body (the text as paragraphs when absent) */
                    html?: string;
                    /** @description call centre and branch: what the operator says */
                    script?: string;
                    /** @description screens and push: the buttons */
                    buttons?: {
                        /** @description the button's id, sent back in the response */
                        id: string;
                        /** @description the button's text */
                        label: string;
                    }[];
                };
                /** @description an offer's message for one channel, with {{variables}}: sms has text; email subject, text and html; screens and push title, text and buttons; operators script */
                branch?: {
                    /** @description screens and push: the title */
                    title?: string;
                    /** @description the message: SMS, e-mail, screen and push text */
                    text?: string;
                    /** @description e-mail: the subject */
                    subject?: string;
                    /** @description e-mail: the HTML body (the text as paragraphs when absent) */
                    html?: string;
                    /** @description call centre and branch: what the operator says */
                    script?: string;
                    /** @description screens and push: the buttons */
                    buttons?: {
                        /** @description the button's id, sent back in the response */
                        id: string;
                        /** @description the button's text */
                        label: string;
                    }[];
                };
                /** @description an offer's message for one channel, with {{variables}}: sms has text; email subject, text and html; screens and push title, text and buttons; operators script */
                sms?: {
                    /** @description screens and push: the title */
                    title?: string;
                    /** @description the message: SMS, e-mail, screen and push text */
                    text?: string;
                    /** @description e-mail: the subject */
                    subject?: string;
                    /** @description e-mail: the HTML body (the text as paragraphs when absent) */
                    html?: string;
                    /** @description call centre and branch: what the operator says */
                    script?: string;
                    /** @description screens and push: the buttons */
                    buttons?: {
                        /** @description the button's id, sent back in the response */
                        id: string;
                        /** @description the button's text */
                        label: string;
                    }[];
                };
                /** @description an offer's message for one channel, with {{variables}}: sms has text; email subject, text and html; screens and push title, text and buttons; operators script */
                email?: {
                    /** @description screens and push: the title */
                    title?: string;
                    /** @description the message: SMS, e-mail, screen and push text */
                    text?: string;
                    /** @description e-mail: the subject */
                    subject?: string;
                    /** @description e-mail: the HTML body (the text as paragraphs when absent) */
                    html?: string;
                    /** @description call centre and branch: what the operator says */
                    script?: string;
                    /** @description screens and push: the buttons */
                    buttons?: {
                        /** @description the button's id, sent back in the response */
                        id: string;
                        /** @description the button's text */
                        label: string;
                    }[];
                };
                /** @description an offer's message for one channel, with {{variables}}: sms has text; email subject, text and html; screens and push title, text and buttons; operators script */
                push?: {
                    /** @description screens and push: the title */
                    title?: string;
                    /** @description the message: SMS, e-mail, screen and push text */
                    text?: string;
                    /** @description e-mail: the subject */
                    subject?: string;
                    /** @description e-mail: the HTML body (the text as paragraphs when absent) */
                    html?: string;
                    /** @description call centre and branch: what the operator says */
                    script?: string;
                    /** @description screens and push: the buttons */
                    buttons?: {
                        /** @description the button's id, sent back in the response */
                        id: string;
                        /** @description the button's text */
                        label: string;
                    }[];
                };
            };
            /** @description two-way SMS: a reply text (case-insensitive, trimmed) and the outcome it means */
            replies?: {
                [key: string]: string;
            };
            /** @description buttons on screens: button id -> the outcome a response naming the button means (accept: accepted); each a button of the offer's templates; a button not mapped is its own id as the outcome */
            buttonOutcomes?: {
                [key: string]: string;
            };
            /** @description a back-office action queued when the customer accepts (issue the credit) */
            onAccept?: {
                /** @description the back-office action */
                action: string;
            };
            /** @description the product family ("deposits"): repeated declines can pause the whole family */
            group?: string;
            /** @description a business lever on the ranking (push this product this quarter), 1 by default */
            lever?: number;
            /** @description stage filter before ranking: who may have it at all (age, residency, no default). A rule: {attr, op, value} (ops: eq, ne, gt, gte, lt, lte, between, in, exists…), or {all: [rules]}, {any: [rules]}, {not: rule} */
            eligibility?: unknown;
            /** @description stage filter: whether it is relevant to the customer now (not already held). A rule: {attr, op, value} (ops: eq, ne, gt, gte, lt, lte, between, in, exists…), or {all: [rules]}, {any: [rules]}, {not: rule} */
            applicability?: unknown;
            /** @description stage filter: whether it is appropriate for the customer (affordability, risk appetite). A rule: {attr, op, value} (ops: eq, ne, gt, gte, lt, lte, between, in, exists…), or {all: [rules]}, {any: [rules]}, {not: rule} */
            suitability?: unknown;
            /** @description what the adaptive model reads besides its defaults: inputs to ignore, binnings, crosses */
            model?: {
                /** @description inputs the model does not read (data.requestId, cal.day) */
                ignore?: string[];
                /** @description an input binned otherwise than by default: "log2" (powers of two), "category" (each value its own), or steps [1000, 5000, 20000] */
                bins?: {
                    [key: string]: "log2" | "category" | number[];
                };
                /** @description crosses, e.g. [[data.contact, cal.month]] */
                crosses?: string[][];
            };
        };
        CampaignList: {
            version: number;
            items: components["schemas"]["Campaign"][];
        };
        /** @description who gets which offer, when, on which channel */
        Campaign: {
            /** @description the item's id; the path's when absent */
            id?: string;
            /** @description its name, for people */
            name: string;
            /** @description what it is for, for people */
            description?: string;
            /**
             * @description draft, scheduled, active, paused or completed: only active campaigns speak
             * @enum {string}
             */
            status: "draft" | "scheduled" | "active" | "paused" | "completed";
            /** @description ISO date-time it starts, inclusive, e.g. "2026-01-01T00:00:00+03:00" */
            startsAt?: string;
            /** @description ISO date-time it ends, exclusive */
            endsAt?: string;
            /** @description the hours the campaign runs, customer's local time (the same as trigger.localTime) */
            activeHours?: {
                /** @description the first minute, "HH:MM" */
                from: string;
                /** @description the minute it ends, "HH:MM" (exclusive) */
                to: string;
            };
            /** @description a lever on the ranking, 1 by default */
            priority?: number;
            /** @description the offer's id */
            offer: string;
            /** @description channels in preference order; screens and operators only in their own session */
            channels: ("atm" | "kiosk" | "ib" | "web" | "mobile" | "callcenter" | "branch" | "sms" | "email" | "push")[];
            /** @description when the campaign speaks: {events} or {passive: true}, and conditions */
            trigger?: {
                /** @description event types that trigger the campaign (segment.entered.<id> and segment.exited.<id> too) */
                events?: string[];
                /** @description offered whenever the customer is in a session on one of the campaign's inbound channels */
                passive?: boolean;
                /** @description a rule over the event, the customer and the campaign's variables. A rule: {attr, op, value} (ops: eq, ne, gt, gte, lt, lte, between, in, exists…), or {all: [rules]}, {any: [rules]}, {not: rule} */
                when?: unknown;
                /** @description local time window in the customer's time zone, "HH:MM" to "HH:MM" (end exclusive) */
                localTime?: {
                    /** @description the first minute, "HH:MM" */
                    from: string;
                    /** @description the minute it ends, "HH:MM" (exclusive) */
                    to: string;
                };
                /** @description ISO weekdays, 1 = Monday .. 7 = Sunday */
                weekdays?: number[];
                /** @description event channels the trigger accepts */
                channels?: string[];
                /** @description a partner of this kind within the radius of the event's place */
                near?: {
                    /** @description the kind of partner */
                    partners: string;
                    /** @description the radius, metres */
                    radiusM: number;
                };
            };
            /** @description an outbound campaign: its runs (by hand or on a schedule) hand it to each customer of its segments once, through the customer's actor and every rule; no event triggers it */
            outbound?: {
                /** @description the segments a run goes over (a customer in any of them); the whole base when absent */
                segments?: string[];
                /** @description when runs start by themselves: {once}, {daily} or {weekly} */
                schedule?: {
                    /** @description one run at that time: an ISO date-time, e.g. "2027-01-15T10:00:00+03:00"; without an offset, in the policy's defaultTimezone */
                    once?: string;
                    /** @description a run every day at that time of day, "HH:MM", in the policy's defaultTimezone */
                    daily?: string;
                    /** @description a run every week on that weekday at that time */
                    weekly?: {
                        /** @description an ISO weekday, 1 = Monday .. 7 = Sunday */
                        weekday: number;
                        /** @description the time of day, "HH:MM", in the policy's defaultTimezone */
                        at: string;
                    };
                };
                /** @description call-centre waves (docs/outbound.md#call-centre-waves): each run calls in order of expected value; the next wave re-calls those not reached */
                waves?: {
                    /** @description waves in all, the first included */
                    count: number;
                    /** @description how long after a wave finished the next one starts, e.g. "2d" */
                    every: string;
                    /** @description who becomes a warm lead from a wave's call outcomes */
                    warmLeads?: {
                        /** @description the interest score (1..100) at or above which a customer becomes a warm lead (not 0: every call would make one) */
                        threshold: number;
                        /** @description the interest score each call outcome means (default: interested 80, callback 60, later 50, others 0); a response's data.interest (0..100) overrides it */
                        interest?: {
                            [key: string]: number;
                        };
                        /** @description the back-office action that notifies the customer's manager (default notify_manager) */
                        action?: string;
                    };
                };
            };
            /** @description the target groups, first match wins */
            groups: {
                /** @description the target group's id */
                id: string;
                /** @description its name, for people */
                name?: string;
                /** @description who is in the group. A rule: {attr, op, value} (ops: eq, ne, gt, gte, lt, lte, between, in, exists…), or {all: [rules]}, {any: [rules]}, {not: rule} */
                when: unknown;
                /** @description the marketer's estimate of the response probability in this group, percent (10 = 10 %) */
                responsePercent: number;
            }[];
            /** @description variables computed per event, read as vars.<name> */
            vars?: {
                [key: string]: {
                    /** @description a number from the event or profile, e.g. "event.data.requested" */
                    from: string;
                    /** @description subtract another attribute */
                    minus?: string;
                    /** @description round up to a multiple of this (credit in whole hundreds) */
                    roundUpTo?: number;
                    /** @description map the number onto steps: the value of the highest step whose threshold it reaches */
                    tiers?: [
                        number,
                        number
                    ][];
                };
            };
            /** @description how long the offer stands: "30m", "24h", "7d" (the policy's by default) */
            expiresIn?: string;
            /** @description false for service messages that the contact policy does not count */
            marketing?: boolean;
            /** @description the longest SMS this campaign may send, in parts (3 by default) */
            maxSmsParts?: number;
            /** @description the customer is acting right now (a declined withdrawal): quiet hours do not apply */
            quietHoursExempt?: boolean;
            /** @description not the same thing again too soon; days, 0 turns a rule off */
            recency?: {
                /** @description not the same offer within this many days */
                sameOfferDays: number;
                /** @description not the same campaign within this many days */
                sameCampaignDays: number;
                /** @description a pause after the customer declined the offer */
                afterDeclineDays: number;
            };
            /** @description percent of customers held out as a control group (the same customer is always in or out) */
            controlPercent?: number;
            /** @description test recipients who get a copy of every SMS, e-mail or push the campaign sends, rendered for the customer masked (names as first letters, every other value of the customer and of their event ***): the layout and the delivery, not the customer's data */
            seeds?: {
                /**
                 * @description sms, email or push
                 * @enum {string}
                 */
                channel: "atm" | "kiosk" | "ib" | "web" | "mobile" | "callcenter" | "branch" | "sms" | "email" | "push";
                /** @description the address */
                to: string;
            }[];
            /** @description the most the campaign may spend: contacts, and money at a cost per channel */
            budget?: {
                /** @description the most contacts */
                maxContacts?: number;
                /** @description the most money, roubles */
                maxCost?: number;
                /** @description roubles per contact, by channel (an SMS part, an e-mail); channels not named cost nothing */
                costPerChannel?: {
                    /** @description roubles per contact */
                    atm?: number;
                    /** @description roubles per contact */
                    kiosk?: number;
                    /** @description roubles per contact */
                    ib?: number;
                    /** @description roubles per contact */
                    web?: number;
                    /** @description roubles per contact */
                    mobile?: number;
                    /** @description roubles per contact */
                    callcenter?: number;
                    /** @description roubles per contact */
                    branch?: number;
                    /** @description roubles per contact */
                    sms?: number;
                    /** @description roubles per contact */
                    email?: number;
                    /** @description roubles per contact */
                    push?: number;
                };
            };
            /** @description stage filter at campaign level: who may have it at all. A rule: {attr, op, value} (ops: eq, ne, gt, gte, lt, lte, between, in, exists…), or {all: [rules]}, {any: [rules]}, {not: rule} */
            eligibility?: unknown;
            /** @description stage filter at campaign level: whether it is relevant now. A rule: {attr, op, value} (ops: eq, ne, gt, gte, lt, lte, between, in, exists…), or {all: [rules]}, {any: [rules]}, {not: rule} */
            applicability?: unknown;
            /** @description stage filter at campaign level: whether it is appropriate. A rule: {attr, op, value} (ops: eq, ne, gt, gte, lt, lte, between, in, exists…), or {all: [rules]}, {any: [rules]}, {not: rule} */
            suitability?: unknown;
            /** @description below this response probability, percent, this campaign stays silent (the policy's floor by default) */
            minResponsePercent?: number;
            /** @description a weight on the ranking per channel the offer would go to (1 by default) */
            contextWeights?: {
                /** @description the weight */
                atm?: number;
                /** @description the weight */
                kiosk?: number;
                /** @description the weight */
                ib?: number;
                /** @description the weight */
                web?: number;
                /** @description the weight */
                mobile?: number;
                /** @description the weight */
                callcenter?: number;
                /** @description the weight */
                branch?: number;
                /** @description the weight */
                sms?: number;
                /** @description the weight */
                email?: number;
                /** @description the weight */
                push?: number;
            };
            /** @description after `declines` declines within `withinDays`, the offer (or its product family) pauses for `pauseDays` */
            suppression?: {
                /** @description declines that pause the offer */
                declines: number;
                /** @description counted within this many days */
                withinDays: number;
                /** @description the pause, days from the last decline */
                pauseDays: number;
                /**
                 * @description `offer`: this offer only; `group`: every offer of the same product family
                 * @enum {string}
                 */
                scope?: "offer" | "group";
            };
            /** @description what counts as the campaign working, for the uplift report */
            goal?: {
                /** @description events that count as the goal reached */
                events: string[];
                /** @description a rule over the goal event (its data) and the customer. A rule: {attr, op, value} (ops: eq, ne, gt, gte, lt, lte, between, in, exists…), or {all: [rules]}, {any: [rules]}, {not: rule} */
                when?: unknown;
                /** @description within this many days after the contact */
                withinDays: number;
            };
            /** @description a durable reminder after each contact (the customer's answer by then is in event.data.outcome) */
            followUp?: {
                /** @description how long after each contact, e.g. "30d" */
                after: string;
                /** @description the event delivered to the customer then */
                event: string;
            };
            /** @description screen and operator channels this campaign may reach outside a session, through the outbox (an outbound call list, an inbox, a worklist) */
            pushTo?: ("atm" | "kiosk" | "ib" | "web" | "mobile" | "callcenter" | "branch" | "sms" | "email" | "push")[];
            /** @description what the adaptive model reads besides its defaults: inputs to ignore, binnings, crosses */
            model?: {
                /** @description inputs the model does not read (data.requestId, cal.day) */
                ignore?: string[];
                /** @description an input binned otherwise than by default: "log2" (powers of two), "category" (each value its own), or steps [1000, 5000, 20000] */
                bins?: {
                    [key: string]: "log2" | "category" | number[];
                };
                /** @description crosses, e.g. [[data.contact, cal.month]] */
                crosses?: string[][];
            };
        };
        PartnerList: {
            version: number;
            items: components["schemas"]["Partner"][];
        };
        /** @description a partner near which campaigns can speak (a cafe) */
        Partner: {
            /** @description the item's id; the path's when absent */
            id?: string;
            /** @description the kind of partner, named by a trigger's near.partners */
            kind: string;
            /** @description its name, for templates (partner.name) */
            name: string;
            /** @description its address */
            address: string;
            /** @description latitude */
            lat: number;
            /** @description longitude */
            lon: number;
            /** @description the partner's offer, in the customer's language */
            note?: string;
        };
        PlaceList: {
            version: number;
            items: components["schemas"]["Place"][];
        };
        /** @description one of the bank's places */
        Place: {
            /** @description the item's id; the path's when absent */
            id?: string;
            /**
             * @description branch, atm or kiosk
             * @enum {string}
             */
            kind: "branch" | "atm" | "kiosk";
            /** @description its name */
            name: string;
            /** @description its address */
            address: string;
            /** @description latitude */
            lat: number;
            /** @description longitude */
            lon: number;
        };
        Retried: {
            channel: string;
            instance: string;
            /** @constant */
            retried: true;
        };
        IdentityConflictPage: {
            conflicts: components["schemas"]["IdentityConflict"][];
            /** @description the cursor of the next page, when more may follow */
            next?: string;
        };
        /** @description an identifier an event named for one customer while it is linked to another: not relinked */
        IdentityConflict: {
            /** @description the conflict's id: one per identifier and pair of customers */
            id: string;
            /**
             * @description the kind of identifier
             * @enum {string}
             */
            kind: "card" | "phone" | "email" | "cookie";
            /** @description the identifier, masked */
            identifier: string;
            /** @description the stop list's key of the identifier: the first 40 hex digits of an HMAC-SHA-256 of it under the stop list's secret (KAIROS_STOP_LIST_SECRET), not a plain hash */
            identifierHash: string;
            /** @description the customer the identifier is linked to, and stays linked to */
            holder: string;
            /** @description the customer the events naming it were decided for (by a stronger identifier) */
            claimant: string;
            /** @description when an event first named it so */
            firstAt: number;
            /** @description when an event last named it so */
            lastAt: number;
            /** @description how many events named it so */
            count: number;
            /**
             * @description open: to review; dismissed: reviewed, the identifier stays with its holder; merged: resolved by a merge of its two customers (into: the survivor)
             * @enum {string}
             */
            status: "open" | "dismissed" | "merged";
            /** @description when it was dismissed */
            dismissedAt?: number;
            /** @description when a merge of its two customers resolved it (status merged) */
            mergedAt?: number;
            /** @description the survivor of that merge (status merged); holder and claimant are kept as they were */
            into?: string;
        };
        MergeRequest: {
            /** @description the id of the profile merged away (the loser): it forwards to the survivor from then on */
            from: string;
        };
        /** @description what a merge changed: the two ids, what it combined, the sizes before and after */
        Merge: {
            /** @description the survivor */
            into: string;
            /** @description the loser, forwarding to the survivor */
            from: string;
            /** @description when the merge was committed (server clock) */
            at: number;
            /** @description what the loser's profile brought */
            counts: {
                /** @description the loser's identifiers the survivor did not have */
                identifiers: number;
                contacts: number;
                pending: number;
                responses: number;
                features: number;
                segments: number;
                /** @description channels whose consent decision the loser's replaced */
                consents: number;
                /** @description profile fields the survivor had empty and took from the loser */
                profileFields: number;
            };
            before: {
                into: {
                    identifiers: number;
                    contacts: number;
                    pending: number;
                    responses: number;
                    consents: number;
                };
                from: {
                    identifiers: number;
                    contacts: number;
                    pending: number;
                    responses: number;
                    consents: number;
                };
            };
            after: {
                identifiers: number;
                contacts: number;
                pending: number;
                responses: number;
                consents: number;
            };
        };
        Models: {
            learning: {
                models: boolean;
                modelEvidence: number;
                /** @description thompson or none */
                exploration: string;
                randomPercent: number;
                bits: number;
                /** @description answers after which an earlier answer weighs half (0: never forgets) */
                halfLife: number;
                /** @description the random arm reaches customers below the propensity floor too */
                belowFloor: boolean;
                /** @description a model's AUC and lift are shown once this many answers are behind them (and the model learnt from as many) */
                figureAnswers: number;
                /** @description … with at least this many positive and this many negative */
                figureOutcomes: number;
            };
            models: components["schemas"]["Model"][];
        };
        Model: {
            offer: string;
            /** @description answers (and expiries) the model learnt from */
            examples: number;
            positives: number;
            negatives: number;
            auc: number | null;
            /** @description why the figure is null (e.g. "needs 200 answers, has 12"); null when it is shown */
            aucReason: string | null;
            /** @description the within-period AUC, beside the running one: the last 30 local days (the daily records) */
            last30Days: {
                /** @description 30 */
                days: number;
                /** @description the first local day counted, YYYY-MM-DD */
                from: string;
                /** @description today, the last day counted */
                to: string;
                /** @description answers the model learnt from in those days */
                examples: number;
                positives: number;
                negatives: number;
                auc: number | null;
                /** @description why the figure is null (e.g. "needs 200 answers, has 12"); null when it is shown */
                reason: string | null;
            };
            /** @description answers to offers ranked by the models and by the random control */
            arms: {
                model: {
                    positives: number;
                    negatives: number;
                    rate: number | null;
                };
                random: {
                    positives: number;
                    negatives: number;
                    rate: number | null;
                };
            };
            lift: number | null;
            /** @description 95 % interval of the lift (normal approximation of the log ratio): low, high; null with the lift */
            liftCi95: number[] | null;
            /** @description why the figure is null (e.g. "needs 200 answers, has 12"); null when it is shown */
            liftReason: string | null;
            /** @description the lift per campaign that offered the offer, by campaign id */
            campaigns: {
                campaign: string;
                /** @description answers to offers ranked by the models and by the random control */
                arms: {
                    model: {
                        positives: number;
                        negatives: number;
                        rate: number | null;
                    };
                    random: {
                        positives: number;
                        negatives: number;
                        rate: number | null;
                    };
                };
                lift: number | null;
                /** @description 95 % interval of the lift (normal approximation of the log ratio): low, high; null with the lift */
                ci95: number[] | null;
                /** @description why the figure is null (e.g. "needs 200 answers, has 12"); null when it is shown */
                reason: string | null;
            }[];
            /** @description the model's share in the blend with the target group's probability */
            weight: number;
            bits: number;
        };
        ModelHistory: {
            offer: string;
            /** @description the first day asked */
            from?: string;
            /** @description the last day asked */
            to?: string;
            /** @description one entry per day the model learnt something, oldest first */
            days: {
                /** @description YYYY-MM-DD, a local day in the policy's defaultTimezone */
                day: string;
                /** @description answers (and expiries) the model learnt from that day */
                examples: number;
                positives: number;
                negatives: number;
                auc: number | null;
                /** @description why the figure is null (e.g. "needs 200 answers, has 12"); null when it is shown */
                aucReason: string | null;
                runningAuc: number | null;
                /** @description why the figure is null (e.g. "needs 200 answers, has 12"); null when it is shown */
                runningAucReason: string | null;
                /** @description that day's answers to offers ranked by the models and by the random control */
                arms: {
                    model: {
                        positives: number;
                        negatives: number;
                        rate: number | null;
                    };
                    random: {
                        positives: number;
                        negatives: number;
                        rate: number | null;
                    };
                };
                lift: number | null;
                /** @description why the figure is null (e.g. "needs 200 answers, has 12"); null when it is shown */
                liftReason: string | null;
            }[];
        };
        Uplift: {
            campaign: string;
            goal: {
                events: string[];
                withinDays: number;
            } | null;
            controlPercent: number;
            treated: {
                contacts: number;
                conversions: number;
                rate: number | null;
                ci95: number[] | null;
            };
            control: {
                contacts: number;
                conversions: number;
                rate: number | null;
                ci95: number[] | null;
            };
            /** @description null until both groups have contacts; its figures (and the rates) rounded to 6 decimal places; significant: the interval as given excludes 0 */
            uplift: {
                difference: number;
                /** @description 95 % interval: low, high (rounded to 6 decimal places, as every figure of the report) */
                ci95: number[];
                relative: number | null;
                significant: boolean;
            } | null;
            responses: {
                answered: number;
                accepted: number;
                acceptanceRate: number | null;
            };
            note?: string;
        };
        Uplifts: {
            /** @description the first day counted, when asked */
            from?: string;
            /** @description the last day counted, when asked */
            to?: string;
            campaigns: components["schemas"]["Uplift"][];
        };
        Funnel: {
            by: string[];
            /** @description the first day counted, when asked */
            from?: string;
            /** @description the last day counted, when asked */
            to?: string;
            rows: components["schemas"]["FunnelRow"][];
            /** @description the budget of each campaign of the rows that has one: spent against its limits */
            budgets: {
                campaign: string;
                /** @description contacts made against the budget (since the store began, whatever the range) */
                contacts: number;
                /** @description their cost at the cost per channel */
                cost: number;
                maxContacts: number | null;
                maxCost: number | null;
            }[];
        };
        /** @description the rates rounded to 6 decimal places (4 in the CSV file) */
        FunnelRow: {
            campaign: string;
            /** @description * when summed, - when never reached */
            channel: string;
            offer: string;
            group: string;
            /** @description the outbound run ("-" for events' decisions) */
            run: string;
            /** @description by=segment only: a segment the customer was in after the counted step (each step counted in every one, at most 16 by id) */
            segment?: string;
            triggered: number;
            suppressed: number;
            suppressedBy: {
                [key: string]: number;
            };
            /** @description of suppressed: queued messages cancelled at send time (counted as offered too) */
            cancelled: number;
            /** @description decisions that deferred the message to the next window (quiet hours); not suppressed */
            deferred: number;
            /** @description deferrals that came to an end: their retry decided, or superseded by a later one */
            resumed: number;
            /** @description deferred messages still waiting for their retry: deferred - resumed */
            waiting: number;
            control: number;
            offered: number;
            delivered: number;
            failed: number;
            outcomes: {
                [key: string]: number;
            };
            converted: number;
            /** @description control-group hold-outs whose goal was reached all the same */
            controlConverted: number;
            answered: number;
            accepted: number;
            declined: number;
            expired: number;
            acceptanceRate: number | null;
            conversionRate: number | null;
            responseRate: number | null;
            upliftRate: number | null;
        };
        CustomerExport: {
            customer: components["schemas"]["Customer"];
            /** @description the stop-list entries on the customer's id or identifiers */
            stopList: components["schemas"]["StopEntry"][];
            /** @description the identity conflicts naming the customer, as holder or claimant (identifier masked and hashed) */
            identityConflicts: components["schemas"]["IdentityConflict"][];
            /** @description when the export was made, on the server clock */
            exportedAt: number;
            /** @description the legal basis of the export */
            basis: string;
        };
        CustomerImport: {
            /** @description rows read */
            rows: number;
            /** @description new customers */
            created: number;
            /** @description customers whose master data changed */
            updated: number;
            /** @description rows that changed nothing */
            unchanged: number;
            /** @description rows rejected, none of them applied */
            rejected: number;
            /** @description the rejected rows (the first 10,000; all are counted) */
            rejects: {
                /** @description the row's line in the body */
                line: number;
                /** @description the column at fault ("" for the whole row) */
                column: string;
                /** @description missing_id, duplicate_id, invalid_phone, invalid_email, invalid_date, invalid_timezone, identifier_taken, … (docs/import.md) */
                reason: string;
                /** @description the row as sent */
                raw: string;
            }[];
            /** @description rows done at each committed batch of 5,000 */
            progress: number[];
            /** @description import: rows=N created=A updated=B unchanged=C rejected=D s=T, as the command prints it */
            summary: string;
        };
        /** @description one line of the NDJSON reply */
        CustomerImportLine: {
            progress: {
                /** @description rows read */
                rows: number;
                /** @description rows rejected, none of them applied */
                rejected: number;
            };
        } | {
            reject: {
                /** @description the row's line in the body */
                line: number;
                /** @description the column at fault ("" for the whole row) */
                column: string;
                /** @description missing_id, duplicate_id, invalid_phone, invalid_email, invalid_date, invalid_timezone, identifier_taken, … (docs/import.md) */
                reason: string;
                /** @description the row as sent */
                raw: string;
            };
        } | {
            error: components["schemas"]["Problem"];
        } | {
            /** @description rows read */
            rows: number;
            /** @description new customers */
            created: number;
            /** @description customers whose master data changed */
            updated: number;
            /** @description rows that changed nothing */
            unchanged: number;
            /** @description rows rejected, none of them applied */
            rejected: number;
            /** @description import: rows=N created=A updated=B unchanged=C rejected=D s=T, as the command prints it */
            summary: string;
        };
        /** @description the columns of docs/import.md (id, last_name, first_name, patronymic, gender, birth_date, city, timezone, phone, email, card, consent_*, stage) and any attributes */
        CustomerFields: {
            [key: string]: string | number | boolean | null | string[];
        };
        CustomerUpsert: {
            id: string;
            /** @enum {string} */
            outcome: "created" | "updated" | "unchanged";
        };
        KeyInfo: {
            /** @description the key's name; a configured admin key or gateway token is named by a hash label ("key:3f9a1c") */
            name: string;
            /**
             * @description the role: what the key may call (docs/security.md)
             * @enum {string}
             */
            role: "gateway" | "marketer" | "analyst" | "ops" | "qa" | "privacy" | "auditor" | "admin";
            /**
             * @description config: from KAIROS_ADMIN_KEYS, KAIROS_GATEWAY_TOKENS or KAIROS_KEYS (change it there); api: made through /v1/keys
             * @enum {string}
             */
            source: "config" | "api";
            /** @description when it was made */
            createdAt?: number;
            /** @description when its secret was last replaced */
            rotatedAt?: number;
            /** @description a gateway key's channel scope: the channels it may subscribe to and confirm ([]: none), or "*" for every channel (unscoped); absent for other roles */
            channels?: string[] | "*";
        };
        KeySecret: {
            name: string;
            /**
             * @description the role: what the key may call (docs/security.md)
             * @enum {string}
             */
            role: "gateway" | "marketer" | "analyst" | "ops" | "qa" | "privacy" | "auditor" | "admin";
            /** @description the secret, shown this once: send it as Authorization: Bearer <secret> */
            secret: string;
            /** @description a gateway key's channel scope: the channels it may subscribe to and confirm ([]: none), or "*" for every channel (unscoped); absent for other roles */
            channels?: string[] | "*";
        };
        SegmentMembers: {
            segment: string;
            /** @description in customer id order */
            members: string[];
            /** @description the cursor of the next page (`after`); absent on the last page */
            next?: string;
        };
        DraftCountRequest: {
            /** @description the draft segment's rule, as a segment's `rule` (features and scores; no other segment): {attr, op, value}, or {all}, {any}, {not} */
            rule: unknown;
        };
        DraftCount: {
            /** @description the count's id, to poll or cancel it */
            job: string;
            /** @enum {string} */
            state: "running" | "done" | "cancelled" | "failed";
            /** @description customers looked at so far (snapshots and imported master data) */
            scanned: number;
            /** @description of them, those the rule holds for: the draft segment's size when `done` */
            matched: number;
            /** @description epoch ms, by the server clock */
            startedAt: number;
            finishedAt?: number;
            error?: string;
        };
        OutboundRun: {
            /** @description the run's id: the campaign and the UTC minute (second, by hand) it started, e.g. pension~20270115T0700 */
            id: string;
            campaign: string;
            /** @description the segments it goes over (a customer in any of them); empty: the whole base */
            segments: string[];
            /**
             * @description waiting: for channel capacity until `waitingUntil` (the next day), for a later wave's start, or for its segments' memberships to be worked out (`waitingFor: segments`)
             * @enum {string}
             */
            state: "running" | "paused" | "waiting" | "done" | "cancelled";
            /**
             * @description hand: the API, the CLI or the console; schedule: its campaign's schedule; wave: a later call-centre wave, made when the wave before was done
             * @enum {string}
             */
            startedBy: "hand" | "schedule" | "wave";
            /** @description epoch ms, by the server clock */
            startedAt: number;
            updatedAt: number;
            finishedAt?: number;
            waitingUntil?: number;
            /**
             * @description capacity: the next day's; wave: a later wave's start; segments: its segments' memberships are still being worked out (the segment sweep under the rules in force, an import's pass: GET /v1/segment-sizes says `pending`), so their member lists are not complete; it selects once they are (no `waitingUntil`)
             * @enum {string}
             */
            waitingFor?: "capacity" | "wave" | "segments";
            /** @description a call-centre wave (docs/outbound.md#call-centre-waves) */
            wave?: {
                /** @description this wave, from 1 */
                n: number;
                /** @description waves in all */
                count: number;
                /** @description the runs of the waves before it, oldest first */
                earlier: string[];
            };
            /** @description a wave's run: its customers are ranked by expected value (its call list's order) */
            ranked?: boolean;
            /** @description a wave's run: the customers it ranked */
            listed?: number;
            /** @description customers handed the run so far, each once */
            selected: number;
            /** @description customers listed but no longer in the store when handed over */
            gone: number;
            pages: number;
            /** @description customers whose actor failed on the hand-over (logged with their ids): not decided */
            errors?: number;
            /** @description the slices the run is cut into (by a hash of the customer id), each worked by one node at a time */
            slices?: number;
            /** @description the nodes (KAIROS_NODE_ID) that worked its slices */
            nodes?: string[];
            /** @description customers the run will hand over: a wave's run, the customers on its call list (`listed`), absent until it is ranked; any other run, estimated: the sum of its segments' sizes (a customer in two counts twice), or the customers whose master data the store holds for the whole base */
            total?: number;
            /** @description while running: the time left, estimated, in ms (what is left of `total` at the rate so far, `selected` since `startedAt`); absent when unknown */
            etaMs?: number;
            /** @description the run's funnel, from the campaign funnel's rows of this run */
            funnel: {
                /** @description customers decided for good for the run, each once (a hand-over that is not final, held off by the day's capacity or a pause, is counted when the customer is decided) */
                decided: number;
                offered: number;
                /** @description held out as the control group */
                control: number;
                suppressed: number;
                /** @description by reason code: stop_list, no_channel, cap, recency, not_in_target_group, below_propensity_floor, not_in_segment… */
                suppressedBy: {
                    [key: string]: number;
                };
                /** @description held back by quiet hours for the next window */
                deferred: number;
                /** @description deferred and not yet retried */
                waiting: number;
                delivered: number;
                failed: number;
                answered: number;
                accepted: number;
                declined: number;
                expired: number;
            };
        };
        WaveCall: {
            /** @description the place in the call list: 1 is the highest expected value */
            rank: number;
            customer: string;
            lastName?: string;
            firstName?: string;
            patronymic?: string;
            /** @description E.164 */
            phone?: string;
            /** @description the expected value that placed the call: probability x context weight x value x levers */
            score?: number;
            offer?: string;
            /** @description the offer instance: the outcome of the call names it */
            instance?: string;
            channel?: string;
            /** @description when the call was put on the list (epoch ms) */
            calledAt?: number;
            /** @description what the call came to so far: accepted, declined, interested, callback, no_answer, expired; absent: none yet */
            outcome?: string;
            /** @description with outcome callback: when to call back */
            callbackAt?: number | string;
            /** @description the customer became a warm lead of the campaign */
            warmLead?: boolean;
        };
        Whoami: {
            /** @description the key's name; a configured admin key is named by a hash label ("key:3f9a1c") */
            name: string;
            /**
             * @description the key's role (docs/security.md)
             * @enum {string}
             */
            role: "gateway" | "marketer" | "analyst" | "ops" | "qa" | "privacy" | "auditor" | "admin";
            /** @description the operationIds this key may call, in the document's order */
            operations: string[];
            /** @description today by the server clock, in the policy's defaultTimezone (YYYY-MM-DD): the day the reports' from and to name */
            today: string;
            /** @description the policy's defaultTimezone (an IANA zone, such as Europe/Moscow): the bank's zone, in which a client shows its times */
            timeZone: string;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    getHealth: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description up */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getReady: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description ready */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Ready"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description not ready, and why */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Ready"];
                };
            };
        };
    };
    getMetrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the metrics */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/plain": string;
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getOpenApi: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the OpenAPI 3.1 document */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OpenApiDocument"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getAsyncApi: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the AsyncAPI 3.0 document */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AsyncApiDocument"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    postEvent: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["Event"];
                "application/msgpack": components["schemas"]["Event"];
            };
        };
        responses: {
            /** @description the decision */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Decision"];
                    "application/msgpack": components["schemas"]["Decision"];
                };
            };
            /** @description a problem: `bad_frame`, `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unknown_customer` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `payload_too_large` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `rate_limited` */
            429: {
                headers: {
                    /** @description whole seconds until the client (its gateway key and address) may send again, on the request rate limit (`KAIROS_RATE_LIMIT`); absent when a customer's idempotency memory is full */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `overloaded`, `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getStatus: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the status */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Status"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getCustomer: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the customer id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the card */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Customer"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unknown_customer` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    putCustomer: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the bank customer id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CustomerFields"];
            };
        };
        responses: {
            /** @description created, updated or unchanged */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CustomerUpsert"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `payload_too_large` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    eraseCustomer: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the customer id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description erased */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Erased"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unknown_customer` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    patchCustomer: {
        parameters: {
            query?: {
                /** @description why the change is made (a consent withdrawn by phone): kept in the audit entry, each e-mail address and phone-like run of 7 digits or more replaced by *** */
                reason?: string;
            };
            header?: never;
            path: {
                /** @description the bank customer id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CustomerFields"];
            };
        };
        responses: {
            /** @description updated or unchanged */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CustomerUpsert"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unknown_customer` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `payload_too_large` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    findCustomers: {
        parameters: {
            query?: {
                /** @description a phone number, normalised as identity resolution does (docs/identity.md) */
                phone?: string;
                /** @description a e-mail address, normalised as identity resolution does (docs/identity.md) */
                email?: string;
                /** @description a card token, normalised as identity resolution does (docs/identity.md) */
                card?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the matching customers (an empty list when none) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CustomerMatches"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listStopEntries: {
        parameters: {
            query?: {
                /** @description what the value is */
                kind?: "customer" | "phone" | "email" | "card" | "cookie";
                /** @description the identifier searched for (with kind) */
                value?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the entries */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["StopList"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    addStopEntry: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["StopRequest"];
            };
        };
        responses: {
            /** @description the entry */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["StopEntry"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `payload_too_large` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    removeStopEntry: {
        parameters: {
            query?: {
                /** @description the entry's channel */
                channel?: string;
                /** @description the entry's campaign */
                campaign?: string;
                /** @description why it is removed: kept in the audit entry, each e-mail address and phone-like run of 7 digits or more replaced by *** */
                reason?: string;
            };
            header?: never;
            path: {
                /** @description the entry's key (a hash) */
                key: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description removed */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listOutbox: {
        parameters: {
            query?: {
                /** @description how many entries, 1 to 10000 (100 by default) */
                limit?: number;
                /** @description the next of the page before (opaque: a queue position, or on a node with shards one a shard) */
                cursor?: string;
            };
            header?: never;
            path: {
                /** @description a channel: sms, email, push, ib, atm, backoffice, … */
                channel: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description entries, and next (the cursor of the page after) when more may follow */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OutboxPage"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getClock: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the clock */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Clock"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    moveClock: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ClockMove"];
            };
        };
        responses: {
            /** @description the clock moved */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ClockMoved"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `payload_too_large` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getCatalog: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the catalog */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Catalog"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    replaceCatalog: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["Catalog"];
                "application/yaml": components["schemas"]["Catalog"];
            };
        };
        responses: {
            /** @description the new version */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Version"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `conflict` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `payload_too_large` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getCatalogHistory: {
        parameters: {
            query?: {
                /** @description how many entries, 1 to 10000 (100 by default) */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the entries, oldest first */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["History"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getCatalogVersion: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the version number */
                n: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the catalog */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Catalog"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getPolicy: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the policy */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Policy"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    replacePolicy: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["Policy"];
            };
        };
        responses: {
            /** @description the new version */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Version"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `conflict` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `payload_too_large` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    moveCampaign: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the campaign id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["StatusMove"];
            };
        };
        responses: {
            /** @description the move */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["StatusMoved"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `conflict` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `payload_too_large` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getTemplate: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the offer id */
                id: string;
                /** @description a channel: sms, email, push, ib, atm, backoffice, … */
                channel: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the template */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Template"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    putTemplate: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the offer id */
                id: string;
                /** @description a channel: sms, email, push, ib, atm, backoffice, … */
                channel: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["Template"];
            };
        };
        responses: {
            /** @description the new version */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PutItem"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `conflict` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `payload_too_large` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    deleteTemplate: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the offer id */
                id: string;
                /** @description a channel: sms, email, push, ib, atm, backoffice, … */
                channel: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the new version */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PutItem"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `conflict` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getCampaignPropensity: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the campaign id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the groups */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Propensity"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    previewCampaign: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the campaign id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PreviewRequest"];
            };
        };
        responses: {
            /** @description the previews */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Preview"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found`, `unknown_customer` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `payload_too_large` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    explainDecision: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the customer id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EventFields"];
            };
        };
        responses: {
            /** @description the actions and the explanations */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ExplainReply"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unknown_customer` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `payload_too_large` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listSegmentSizes: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the sizes */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SegmentSizes"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listFeatures: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the features and the catalog version */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FeatureList"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getFeature: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the feature id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the item */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Feature"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    putFeature: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the feature id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["Feature"];
            };
        };
        responses: {
            /** @description replaced */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PutItem"];
                };
            };
            /** @description created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PutItem"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `conflict` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `payload_too_large` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    deleteFeature: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the feature id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the new version */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Version"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `conflict` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listSegments: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the segments and the catalog version */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SegmentList"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getSegment: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the segment id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the item */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SegmentWithSize"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    putSegment: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the segment id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["Segment"];
            };
        };
        responses: {
            /** @description replaced */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PutItem"];
                };
            };
            /** @description created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PutItem"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `conflict` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `payload_too_large` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    deleteSegment: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the segment id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the new version */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Version"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `conflict` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listOffers: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the offers and the catalog version */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OfferList"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getOffer: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the offer id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the item */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Offer"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    putOffer: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the offer id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["Offer"];
            };
        };
        responses: {
            /** @description replaced */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PutItem"];
                };
            };
            /** @description created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PutItem"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `conflict` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `payload_too_large` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    deleteOffer: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the offer id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the new version */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Version"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `conflict` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listCampaigns: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the campaigns and the catalog version */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CampaignList"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getCampaign: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the campaign id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the item */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Campaign"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    putCampaign: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the campaign id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["Campaign"];
            };
        };
        responses: {
            /** @description replaced */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PutItem"];
                };
            };
            /** @description created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PutItem"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `conflict` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `payload_too_large` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    deleteCampaign: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the campaign id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the new version */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Version"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `conflict` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listPartners: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the partners and the catalog version */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PartnerList"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getPartner: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the partner id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the item */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Partner"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    putPartner: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the partner id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["Partner"];
            };
        };
        responses: {
            /** @description replaced */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PutItem"];
                };
            };
            /** @description created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PutItem"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `conflict` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `payload_too_large` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    deletePartner: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the partner id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the new version */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Version"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `conflict` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listPlaces: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the places and the catalog version */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PlaceList"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getPlace: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the place id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the item */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Place"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    putPlace: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the place id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["Place"];
            };
        };
        responses: {
            /** @description replaced */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PutItem"];
                };
            };
            /** @description created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PutItem"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `conflict` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `payload_too_large` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    deletePlace: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the place id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the new version */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Version"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `conflict` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listDeadLetters: {
        parameters: {
            query?: {
                /** @description how many entries, 1 to 10000 (100 by default) */
                limit?: number;
                /** @description the next of the page before (opaque: a queue position, or on a node with shards one a shard) */
                cursor?: string;
            };
            header?: never;
            path: {
                /** @description a channel: sms, email, push, ib, atm, backoffice, … */
                channel: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the dead among the next 10,000 of the queue, at most limit, and next when more of the queue is left */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OutboxPage"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    retryDelivery: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description a channel: sms, email, push, ib, atm, backoffice, … */
                channel: string;
                /** @description the offer instance id */
                instance: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description queued again */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Retried"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    unsubscribe: {
        parameters: {
            query?: {
                /** @description the signed token of the e-mail's link */
                t?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description an HTML page: the masked address and the button to unsubscribe */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/html": string;
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    unsubscribeOneClick: {
        parameters: {
            query?: {
                /** @description the signed token of the e-mail's link */
                t?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description an HTML page: unsubscribed */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/html": string;
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listIdentityConflicts: {
        parameters: {
            query?: {
                /** @description how many entries, 1 to 1000 (100 by default) */
                limit?: number;
                /** @description the next of the page before */
                cursor?: string;
                /** @description only conflicts of this status */
                status?: "open" | "dismissed" | "merged";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description at most limit conflicts after the cursor, and next when more may follow */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["IdentityConflictPage"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    dismissIdentityConflict: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the conflict's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the conflict, dismissed */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["IdentityConflict"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    mergeCustomers: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the survivor */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MergeRequest"];
            };
        };
        responses: {
            /** @description merged: what changed, for the audit trail */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Merge"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unknown_customer` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `conflict` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `payload_too_large` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listModels: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the settings and the models */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Models"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getModel: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the offer id */
                offer: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the model */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Model"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    resetModel: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the offer id */
                offer: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the emptied model */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Model"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getModelHistory: {
        parameters: {
            query?: {
                /** @description the first day counted, YYYY-MM-DD (a local day in the policy's defaultTimezone); with from or to, only those days are counted */
                from?: string;
                /** @description the last day counted, YYYY-MM-DD, inclusive */
                to?: string;
            };
            header?: never;
            path: {
                /** @description the offer id */
                offer: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the days */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ModelHistory"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getCampaignUplift: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the campaign id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the uplift report */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Uplift"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listUplifts: {
        parameters: {
            query?: {
                /** @description the first day counted, YYYY-MM-DD (a local day in the policy's defaultTimezone); with from or to, only those days are counted */
                from?: string;
                /** @description the last day counted, YYYY-MM-DD, inclusive */
                to?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the reports */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Uplifts"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getFunnel: {
        parameters: {
            query?: {
                /** @description one campaign (all by default) */
                campaign?: string;
                /** @description dimensions to break down by, comma-separated: channel, offer, group, run (all by default; the campaign always); or segment, alone: per campaign and segment the customer was in */
                by?: string;
                /** @description the first day counted, YYYY-MM-DD (a local day in the policy's defaultTimezone); with from or to, only those days are counted */
                from?: string;
                /** @description the last day counted, YYYY-MM-DD, inclusive */
                to?: string;
                /** @description json (default) or csv (also chosen by Accept: text/csv) */
                format?: "json" | "csv";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the rows (JSON) or a CSV file (format=csv or Accept: text/csv) */
            200: {
                headers: {
                    /** @description attachment; filename="kairos-funnel….csv" (CSV only) */
                    "Content-Disposition"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Funnel"];
                    "text/csv": string;
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listAudit: {
        parameters: {
            query?: {
                /** @description entries at or after this time (ms) */
                from?: number;
                /** @description entries before this time (ms) */
                to?: number;
                /** @description one action (stop-list.add), or a prefix ending in a dot (catalog.) */
                action?: string;
                /** @description one key's name */
                who?: string;
                /** @description one target, or a prefix ending in * (customer:*) */
                target?: string;
                /** @description the cursor: entries after this seq (the `next` of the page before) */
                after?: number;
                /** @description how many entries, 1 to 1000 (100 by default) */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description a page of entries */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        entries: {
                            /** @description the entry's place in the trail, from 1 */
                            seq: number;
                            /** @description when, by the server clock (ms since the epoch) */
                            at: number;
                            who: {
                                /** @description the key's name; for a `local` change, the system user who ran the command */
                                name: string;
                                /**
                                 * @description the key's role; `customer` for the customer's own change (the unsubscribe link); `local` for a command run on the data dir with no server and no key (`kairos import customers FILE` without `--url`)
                                 * @enum {string}
                                 */
                                role: "gateway" | "marketer" | "analyst" | "ops" | "qa" | "privacy" | "auditor" | "admin" | "customer" | "local";
                            };
                            /** @description what was done: stop-list.add, catalog.update, customer.erase, clock.set… */
                            action: string;
                            /** @description what it was done to: stop:<key>, offers/<id>, customer:<id>, clock… */
                            target: string;
                            /** @description the state before (no personal data in clear) */
                            before?: unknown;
                            /** @description the state after (no personal data in clear) */
                            after?: unknown;
                            /** @description the previous entry's hash (64 zeros for the first) */
                            prev: string;
                            /** @description SHA-256 (hex) over prev and the entry's canonical JSON */
                            hash: string;
                        }[];
                        /** @description the cursor of the next page (its `after`); absent on the last page */
                        next?: number;
                    };
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    exportAudit: {
        parameters: {
            query?: {
                /** @description entries at or after this time (ms) */
                from?: number;
                /** @description entries before this time (ms) */
                to?: number;
                /** @description one action (stop-list.add), or a prefix ending in a dot (catalog.) */
                action?: string;
                /** @description one key's name */
                who?: string;
                /** @description one target, or a prefix ending in * (customer:*) */
                target?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description one entry a line */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/x-ndjson": string;
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    exportCustomer: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the customer id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the export */
            200: {
                headers: {
                    /** @description attachment; filename="customer-<id>.json" */
                    "Content-Disposition"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CustomerExport"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unknown_customer` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    importCustomers: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/x-ndjson": string;
            };
        };
        responses: {
            /** @description the counts, the rejected rows and the summary line; asked for NDJSON, progress lines as batches commit */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CustomerImport"];
                    "application/x-ndjson": components["schemas"]["CustomerImportLine"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listKeys: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the keys */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        keys: components["schemas"]["KeyInfo"][];
                    };
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createKey: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description the key's name ("crm-batch", "ivanova") */
                    name: string;
                    /**
                     * @description the role: what the key may call (docs/security.md)
                     * @enum {string}
                     */
                    role: "gateway" | "marketer" | "analyst" | "ops" | "qa" | "privacy" | "auditor" | "admin";
                    /** @description a gateway key's channel scope: the delivery channels it may subscribe to and confirm ([]: none, events and responses only), as a configured token's `token:sms+email`; absent: every channel (warned about at each start) */
                    channels?: ("atm" | "kiosk" | "ib" | "web" | "mobile" | "callcenter" | "branch" | "sms" | "email" | "push" | "backoffice")[];
                };
            };
        };
        responses: {
            /** @description the key and its secret */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["KeySecret"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `conflict` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `payload_too_large` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    rotateKey: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the key's name */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the key and its new secret */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["KeySecret"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `conflict` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    changeKeyRole: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the key's name */
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /**
                     * @description the role: what the key may call (docs/security.md)
                     * @enum {string}
                     */
                    role: "gateway" | "marketer" | "analyst" | "ops" | "qa" | "privacy" | "auditor" | "admin";
                    /** @description a gateway key's new channel scope; absent: a gateway key that stays one keeps its scope, a key made a gateway key has none (every channel) */
                    channels?: ("atm" | "kiosk" | "ib" | "web" | "mobile" | "callcenter" | "branch" | "sms" | "email" | "push" | "backoffice")[];
                };
            };
        };
        responses: {
            /** @description the key with its new role */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        name: string;
                        /**
                         * @description the role: what the key may call (docs/security.md)
                         * @enum {string}
                         */
                        role: "gateway" | "marketer" | "analyst" | "ops" | "qa" | "privacy" | "auditor" | "admin";
                        /** @description a gateway key's channel scope: the channels it may subscribe to and confirm ([]: none), or "*" for every channel (unscoped); absent for other roles */
                        channels?: string[] | "*";
                    };
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `conflict` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `payload_too_large` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    revokeKey: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the key's name */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description revoked */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        name: string;
                        /**
                         * @description the role: what the key may call (docs/security.md)
                         * @enum {string}
                         */
                        role: "gateway" | "marketer" | "analyst" | "ops" | "qa" | "privacy" | "auditor" | "admin";
                        /** @constant */
                        revoked: true;
                    };
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `conflict` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listSegmentMembers: {
        parameters: {
            query?: {
                /** @description how many entries, 1 to 10000 (100 by default) */
                limit?: number;
                /** @description the page's cursor: the `next` of the page before (a customer id) */
                after?: string;
            };
            header?: never;
            path: {
                /** @description the segment id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description a page of members (JSON), or all of them as a CSV file (Accept: text/csv; limit and after ignored) */
            200: {
                headers: {
                    /** @description attachment; filename="kairos-segment-<id>.csv" (CSV only) */
                    "Content-Disposition"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SegmentMembers"];
                    "text/csv": string;
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    exportSegmentMembers: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the segment id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the CSV file */
            200: {
                headers: {
                    /** @description attachment; filename="kairos-segment-<id>.csv" */
                    "Content-Disposition"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": string;
                    "text/csv": string;
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    countDraftSegment: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DraftCountRequest"];
            };
        };
        responses: {
            /** @description the count, started */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DraftCount"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `conflict` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `payload_too_large` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getDraftSegmentCount: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the count's id */
                job: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the count */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DraftCount"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    cancelDraftSegmentCount: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the count's id */
                job: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the count */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DraftCount"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    startOutboundRun: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the campaign id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the run, started */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OutboundRun"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `conflict` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listOutboundRuns: {
        parameters: {
            query?: {
                /** @description one campaign's runs */
                campaign?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the runs */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        runs: components["schemas"]["OutboundRun"][];
                    };
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getOutboundRun: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the run's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the run */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OutboundRun"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    pauseOutboundRun: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the run's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the run */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OutboundRun"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `conflict` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    resumeOutboundRun: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the run's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the run */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OutboundRun"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `conflict` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    cancelOutboundRun: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the run's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the run */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OutboundRun"];
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `conflict` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getWaveCallList: {
        parameters: {
            query?: {
                /** @description csv: a file for a dialer (also with Accept: text/csv) */
                format?: "json" | "csv";
            };
            header?: never;
            path: {
                /** @description the wave's run id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the calls (JSON) or a CSV file */
            200: {
                headers: {
                    /** @description attachment; filename="kairos-calls-<run>.csv" (CSV only) */
                    "Content-Disposition"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        run: string;
                        wave: number;
                        calls: components["schemas"]["WaveCall"][];
                    };
                    "text/csv": string;
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `conflict` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    recordWaveOutcomes: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the wave's run id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    outcomes: {
                        /** @description the call's offer instance (from the call list); or name the customer */
                        instance?: string;
                        /** @description the customer: the run's call to them */
                        customer?: string;
                        /** @description one of accepted, declined, interested, callback, no_answer, later, dismissed, matched without case, spaces or dashes (No Answer is no_answer); another rejects its row (invalid_outcome) */
                        outcome: string;
                        /** @description when the call ended: epoch ms or an ISO date-time; now when absent */
                        at?: number | string;
                        /** @description with outcome callback: when to call back, epoch ms or an ISO date-time */
                        callbackAt?: number | string;
                        /** @description the operator's estimate of the customer's interest, 0..100 (else what the outcome means: warmLeads.interest) */
                        interest?: number;
                    }[];
                };
            };
        };
        responses: {
            /** @description what became of the rows */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description rows recorded now */
                        recorded: number;
                        /** @description rows recorded before (the same call and outcome): nothing changed */
                        duplicates: number;
                        rejected: {
                            /** @description 1-based */
                            row: number;
                            reason: string;
                        }[];
                    };
                };
            };
            /** @description a problem: `invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `conflict` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `payload_too_large` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    whoami: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the key */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Whoami"];
                };
            };
            /** @description a problem: `unauthorized` */
            401: {
                headers: {
                    /** @description Bearer realm="kairos" */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `internal` */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description a problem: `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
}
