
export type Json = string | number | boolean | null | { [key: string]: Json | undefined } | Json[]

export type Database = {
  
  "public": {
          Tables: {
            "accounts": {
                  Row: {
                    "created_at": string,"id": string,"locale": string,"phone": string | null,"status": Database["public"]['Enums']["account_status"],"status_changed_at": string | null,"status_changed_by": string | null,"status_reason": string | null,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"id": string,"locale": string,"phone"?: string | null,"status"?: Database["public"]['Enums']["account_status"],"status_changed_at"?: string | null,"status_changed_by"?: string | null,"status_reason"?: string | null,"updated_at"?: string
                  }
                  Update: {
                    "created_at"?: string,"id"?: string,"locale"?: string,"phone"?: string | null,"status"?: Database["public"]['Enums']["account_status"],"status_changed_at"?: string | null,"status_changed_by"?: string | null,"status_reason"?: string | null,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "accounts_id_fkey"
      columns: ["id"]
isOneToOne: true
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"audit_log": {
                  Row: {
                    "action": string,"actor_id": string | null,"actor_role": string,"id": number,"new_data": Json | null,"occurred_at": string,"old_data": Json | null,"reason": string | null,"record_id": string | null,"table_name": string
                  }
                  ComputedFields: never
                  Insert: {
                    "action": string,"actor_id"?: string | null,"actor_role": string,"id"?: never,"new_data"?: Json | null,"occurred_at"?: string,"old_data"?: Json | null,"reason"?: string | null,"record_id"?: string | null,"table_name": string
                  }
                  Update: {
                    "action"?: string,"actor_id"?: string | null,"actor_role"?: string,"id"?: never,"new_data"?: Json | null,"occurred_at"?: string,"old_data"?: Json | null,"reason"?: string | null,"record_id"?: string | null,"table_name"?: string
                  }
                  Relationships: [
                    
                  ]
                },"availability_exceptions": {
                  Row: {
                    "created_at": string,"end_time": string,"id": string,"kind": Database["public"]['Enums']["availability_exception_kind"],"note": string | null,"on_date": string,"provider_id": string,"start_time": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"end_time"?: string,"id"?: string,"kind": Database["public"]['Enums']["availability_exception_kind"],"note"?: string | null,"on_date": string,"provider_id"?: string,"start_time"?: string
                  }
                  Update: {
                    "created_at"?: string,"end_time"?: string,"id"?: string,"kind"?: Database["public"]['Enums']["availability_exception_kind"],"note"?: string | null,"on_date"?: string,"provider_id"?: string,"start_time"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "availability_exceptions_provider_id_fkey"
      columns: ["provider_id"]
isOneToOne: false
      referencedRelation: "providers"
      referencedColumns: ["id"]
    }
                  ]
                },"availability_rules": {
                  Row: {
                    "created_at": string,"end_time": string,"id": string,"provider_id": string,"start_time": string,"valid_from": string | null,"valid_until": string | null,"weekday": number
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"end_time": string,"id"?: string,"provider_id"?: string,"start_time": string,"valid_from"?: string | null,"valid_until"?: string | null,"weekday": number
                  }
                  Update: {
                    "created_at"?: string,"end_time"?: string,"id"?: string,"provider_id"?: string,"start_time"?: string,"valid_from"?: string | null,"valid_until"?: string | null,"weekday"?: number
                  }
                  Relationships: [
                    {
      foreignKeyName: "availability_rules_provider_id_fkey"
      columns: ["provider_id"]
isOneToOne: false
      referencedRelation: "providers"
      referencedColumns: ["id"]
    }
                  ]
                },"booking_events": {
                  Row: {
                    "booking_id": string,"created_at": string,"event_type": string,"id": number,"notified_at": string | null,"payload": NonNullable<Json>,"processed_at": string | null
                  }
                  ComputedFields: never
                  Insert: {
                    "booking_id": string,"created_at"?: string,"event_type": string,"id"?: never,"notified_at"?: string | null,"payload": NonNullable<Json>,"processed_at"?: string | null
                  }
                  Update: {
                    "booking_id"?: string,"created_at"?: string,"event_type"?: string,"id"?: never,"notified_at"?: string | null,"payload"?: NonNullable<Json>,"processed_at"?: string | null
                  }
                  Relationships: [
                    {
      foreignKeyName: "booking_events_booking_id_fkey"
      columns: ["booking_id"]
isOneToOne: false
      referencedRelation: "bookings"
      referencedColumns: ["id"]
    }
                  ]
                },"booking_timeline": {
                  Row: {
                    "actor": Database["public"]['Enums']["booking_actor"],"actor_id": string | null,"booking_id": string,"created_at": string,"details": NonNullable<Json>,"from_status": Database["public"]['Enums']["booking_status"] | null,"id": number,"kind": string,"reason": string | null,"to_status": Database["public"]['Enums']["booking_status"]
                  }
                  ComputedFields: never
                  Insert: {
                    "actor": Database["public"]['Enums']["booking_actor"],"actor_id"?: string | null,"booking_id": string,"created_at"?: string,"details"?: NonNullable<Json>,"from_status"?: Database["public"]['Enums']["booking_status"] | null,"id"?: never,"kind": string,"reason"?: string | null,"to_status": Database["public"]['Enums']["booking_status"]
                  }
                  Update: {
                    "actor"?: Database["public"]['Enums']["booking_actor"],"actor_id"?: string | null,"booking_id"?: string,"created_at"?: string,"details"?: NonNullable<Json>,"from_status"?: Database["public"]['Enums']["booking_status"] | null,"id"?: never,"kind"?: string,"reason"?: string | null,"to_status"?: Database["public"]['Enums']["booking_status"]
                  }
                  Relationships: [
                    {
      foreignKeyName: "booking_timeline_booking_id_fkey"
      columns: ["booking_id"]
isOneToOne: false
      referencedRelation: "bookings"
      referencedColumns: ["id"]
    }
                  ]
                },"booking_transitions": {
                  Row: {
                    "actor": Database["public"]['Enums']["booking_actor"],"direct": boolean,"from_status": Database["public"]['Enums']["booking_status"],"opens_before_start": string | null,"requires_reason": boolean,"to_status": Database["public"]['Enums']["booking_status"]
                  }
                  ComputedFields: never
                  Insert: {
                    "actor": Database["public"]['Enums']["booking_actor"],"direct"?: boolean,"from_status": Database["public"]['Enums']["booking_status"],"opens_before_start"?: string | null,"requires_reason"?: boolean,"to_status": Database["public"]['Enums']["booking_status"]
                  }
                  Update: {
                    "actor"?: Database["public"]['Enums']["booking_actor"],"direct"?: boolean,"from_status"?: Database["public"]['Enums']["booking_status"],"opens_before_start"?: string | null,"requires_reason"?: boolean,"to_status"?: Database["public"]['Enums']["booking_status"]
                  }
                  Relationships: [
                    
                  ]
                },"bookings": {
                  Row: {
                    "accepted_at": string | null,"address": string,"cancelled_at": string | null,"completed_at": string | null,"created_at": string,"currency_code": string,"customer_id": string,"ends_at": string,"expires_at": string | null,"id": string,"idempotency_key": string,"lat": number,"listing_id": string,"lng": number,"market_code": string,"notes": string | null,"occupied": unknown,"payment_status": Database["public"]['Enums']["booking_payment_status"],"price_minor": number,"pricing_unit": Database["public"]['Enums']["pricing_unit"],"provider_id": string,"started_at": string | null,"starts_at": string,"status": Database["public"]['Enums']["booking_status"],"status_changed_at": string,"time_zone": string,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "accepted_at"?: string | null,"address": string,"cancelled_at"?: string | null,"completed_at"?: string | null,"created_at"?: string,"currency_code": string,"customer_id": string,"ends_at": string,"expires_at"?: string | null,"id"?: string,"idempotency_key": string,"lat": number,"listing_id": string,"lng": number,"market_code": string,"notes"?: string | null,"occupied": unknown,"payment_status"?: Database["public"]['Enums']["booking_payment_status"],"price_minor": number,"pricing_unit": Database["public"]['Enums']["pricing_unit"],"provider_id": string,"started_at"?: string | null,"starts_at": string,"status"?: Database["public"]['Enums']["booking_status"],"status_changed_at"?: string,"time_zone": string,"updated_at"?: string
                  }
                  Update: {
                    "accepted_at"?: string | null,"address"?: string,"cancelled_at"?: string | null,"completed_at"?: string | null,"created_at"?: string,"currency_code"?: string,"customer_id"?: string,"ends_at"?: string,"expires_at"?: string | null,"id"?: string,"idempotency_key"?: string,"lat"?: number,"listing_id"?: string,"lng"?: number,"market_code"?: string,"notes"?: string | null,"occupied"?: unknown,"payment_status"?: Database["public"]['Enums']["booking_payment_status"],"price_minor"?: number,"pricing_unit"?: Database["public"]['Enums']["pricing_unit"],"provider_id"?: string,"started_at"?: string | null,"starts_at"?: string,"status"?: Database["public"]['Enums']["booking_status"],"status_changed_at"?: string,"time_zone"?: string,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "bookings_customer_id_fkey"
      columns: ["customer_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "bookings_listing_id_fkey"
      columns: ["listing_id"]
isOneToOne: false
      referencedRelation: "service_listings"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "bookings_market_code_fkey"
      columns: ["market_code"]
isOneToOne: false
      referencedRelation: "markets"
      referencedColumns: ["code"]
    },{
      foreignKeyName: "bookings_provider_id_fkey"
      columns: ["provider_id"]
isOneToOne: false
      referencedRelation: "providers"
      referencedColumns: ["id"]
    }
                  ]
                },"cancellation_refund_tiers": {
                  Row: {
                    "market_code": string,"min_notice": string,"refund_percent": number
                  }
                  ComputedFields: never
                  Insert: {
                    "market_code": string,"min_notice": string,"refund_percent": number
                  }
                  Update: {
                    "market_code"?: string,"min_notice"?: string,"refund_percent"?: number
                  }
                  Relationships: [
                    {
      foreignKeyName: "cancellation_refund_tiers_market_code_fkey"
      columns: ["market_code"]
isOneToOne: false
      referencedRelation: "markets"
      referencedColumns: ["code"]
    }
                  ]
                },"chat_blocks": {
                  Row: {
                    "blocked_id": string,"blocker_id": string,"created_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "blocked_id": string,"blocker_id": string,"created_at"?: string
                  }
                  Update: {
                    "blocked_id"?: string,"blocker_id"?: string,"created_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "chat_blocks_blocked_id_fkey"
      columns: ["blocked_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "chat_blocks_blocker_id_fkey"
      columns: ["blocker_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"chat_messages": {
                  Row: {
                    "attachment_mime": string | null,"attachment_name": string | null,"attachment_path": string | null,"attachment_size": number | null,"body": string | null,"client_id": string,"created_at": string,"deleted_at": string | null,"deleted_by": string | null,"edited_at": string | null,"id": number,"kind": Database["public"]['Enums']["chat_message_kind"],"sender_id": string | null,"thread_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "attachment_mime"?: string | null,"attachment_name"?: string | null,"attachment_path"?: string | null,"attachment_size"?: number | null,"body"?: string | null,"client_id": string,"created_at"?: string,"deleted_at"?: string | null,"deleted_by"?: string | null,"edited_at"?: string | null,"id"?: never,"kind"?: Database["public"]['Enums']["chat_message_kind"],"sender_id"?: string | null,"thread_id": string
                  }
                  Update: {
                    "attachment_mime"?: string | null,"attachment_name"?: string | null,"attachment_path"?: string | null,"attachment_size"?: number | null,"body"?: string | null,"client_id"?: string,"created_at"?: string,"deleted_at"?: string | null,"deleted_by"?: string | null,"edited_at"?: string | null,"id"?: never,"kind"?: Database["public"]['Enums']["chat_message_kind"],"sender_id"?: string | null,"thread_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "chat_messages_sender_id_fkey"
      columns: ["sender_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "chat_messages_thread_id_fkey"
      columns: ["thread_id"]
isOneToOne: false
      referencedRelation: "chat_threads"
      referencedColumns: ["id"]
    }
                  ]
                },"chat_reports": {
                  Row: {
                    "created_at": string,"id": string,"message_attachment_path": string | null,"message_body": string | null,"message_id": number,"message_kind": Database["public"]['Enums']["chat_message_kind"],"message_sent_at": string,"note": string | null,"reason": Database["public"]['Enums']["chat_report_reason"],"reported_user_id": string | null,"reporter_id": string,"resolution_note": string | null,"resolved_at": string | null,"resolved_by": string | null,"status": Database["public"]['Enums']["chat_report_status"],"thread_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"id"?: string,"message_attachment_path"?: string | null,"message_body"?: string | null,"message_id": number,"message_kind": Database["public"]['Enums']["chat_message_kind"],"message_sent_at": string,"note"?: string | null,"reason": Database["public"]['Enums']["chat_report_reason"],"reported_user_id"?: string | null,"reporter_id": string,"resolution_note"?: string | null,"resolved_at"?: string | null,"resolved_by"?: string | null,"status"?: Database["public"]['Enums']["chat_report_status"],"thread_id": string
                  }
                  Update: {
                    "created_at"?: string,"id"?: string,"message_attachment_path"?: string | null,"message_body"?: string | null,"message_id"?: number,"message_kind"?: Database["public"]['Enums']["chat_message_kind"],"message_sent_at"?: string,"note"?: string | null,"reason"?: Database["public"]['Enums']["chat_report_reason"],"reported_user_id"?: string | null,"reporter_id"?: string,"resolution_note"?: string | null,"resolved_at"?: string | null,"resolved_by"?: string | null,"status"?: Database["public"]['Enums']["chat_report_status"],"thread_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "chat_reports_message_id_fkey"
      columns: ["message_id"]
isOneToOne: false
      referencedRelation: "chat_messages"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "chat_reports_reported_user_id_fkey"
      columns: ["reported_user_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "chat_reports_reporter_id_fkey"
      columns: ["reporter_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "chat_reports_thread_id_fkey"
      columns: ["thread_id"]
isOneToOne: false
      referencedRelation: "chat_threads"
      referencedColumns: ["id"]
    }
                  ]
                },"chat_threads": {
                  Row: {
                    "activity_at": string,"booking_id": string | null,"created_at": string,"customer_id": string,"customer_last_read_at": string | null,"customer_last_read_message_id": number | null,"customer_muted": boolean,"customer_unread": number,"id": string,"last_message_id": number | null,"listing_id": string | null,"provider_id": string,"provider_last_read_at": string | null,"provider_last_read_message_id": number | null,"provider_muted": boolean,"provider_unread": number,"subject_type": Database["public"]['Enums']["chat_subject_type"]
                  }
                  ComputedFields: never
                  Insert: {
                    "activity_at"?: string,"booking_id"?: string | null,"created_at"?: string,"customer_id": string,"customer_last_read_at"?: string | null,"customer_last_read_message_id"?: number | null,"customer_muted"?: boolean,"customer_unread"?: number,"id"?: string,"last_message_id"?: number | null,"listing_id"?: string | null,"provider_id": string,"provider_last_read_at"?: string | null,"provider_last_read_message_id"?: number | null,"provider_muted"?: boolean,"provider_unread"?: number,"subject_type": Database["public"]['Enums']["chat_subject_type"]
                  }
                  Update: {
                    "activity_at"?: string,"booking_id"?: string | null,"created_at"?: string,"customer_id"?: string,"customer_last_read_at"?: string | null,"customer_last_read_message_id"?: number | null,"customer_muted"?: boolean,"customer_unread"?: number,"id"?: string,"last_message_id"?: number | null,"listing_id"?: string | null,"provider_id"?: string,"provider_last_read_at"?: string | null,"provider_last_read_message_id"?: number | null,"provider_muted"?: boolean,"provider_unread"?: number,"subject_type"?: Database["public"]['Enums']["chat_subject_type"]
                  }
                  Relationships: [
                    {
      foreignKeyName: "chat_threads_booking_id_fkey"
      columns: ["booking_id"]
isOneToOne: false
      referencedRelation: "bookings"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "chat_threads_customer_id_fkey"
      columns: ["customer_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "chat_threads_listing_id_fkey"
      columns: ["listing_id"]
isOneToOne: false
      referencedRelation: "service_listings"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "chat_threads_provider_id_fkey"
      columns: ["provider_id"]
isOneToOne: false
      referencedRelation: "providers"
      referencedColumns: ["id"]
    }
                  ]
                },"commission_rates": {
                  Row: {
                    "category_id": string | null,"created_at": string,"id": string,"market_code": string,"rate_bps": number,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "category_id"?: string | null,"created_at"?: string,"id"?: string,"market_code": string,"rate_bps": number,"updated_at"?: string
                  }
                  Update: {
                    "category_id"?: string | null,"created_at"?: string,"id"?: string,"market_code"?: string,"rate_bps"?: number,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "commission_rates_category_id_fkey"
      columns: ["category_id"]
isOneToOne: false
      referencedRelation: "service_categories"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "commission_rates_market_code_fkey"
      columns: ["market_code"]
isOneToOne: false
      referencedRelation: "markets"
      referencedColumns: ["code"]
    }
                  ]
                },"device_tokens": {
                  Row: {
                    "created_at": string,"id": number,"last_seen_at": string,"platform": Database["public"]['Enums']["device_platform"],"token": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"id"?: never,"last_seen_at"?: string,"platform": Database["public"]['Enums']["device_platform"],"token": string,"user_id"?: string
                  }
                  Update: {
                    "created_at"?: string,"id"?: never,"last_seen_at"?: string,"platform"?: Database["public"]['Enums']["device_platform"],"token"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "device_tokens_user_id_fkey"
      columns: ["user_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"dispute_comments": {
                  Row: {
                    "author_id": string,"author_role": Database["public"]['Enums']["booking_actor"],"body": string,"created_at": string,"dispute_id": string,"id": number
                  }
                  ComputedFields: never
                  Insert: {
                    "author_id": string,"author_role": Database["public"]['Enums']["booking_actor"],"body": string,"created_at"?: string,"dispute_id": string,"id"?: never
                  }
                  Update: {
                    "author_id"?: string,"author_role"?: Database["public"]['Enums']["booking_actor"],"body"?: string,"created_at"?: string,"dispute_id"?: string,"id"?: never
                  }
                  Relationships: [
                    {
      foreignKeyName: "dispute_comments_author_id_fkey"
      columns: ["author_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "dispute_comments_dispute_id_fkey"
      columns: ["dispute_id"]
isOneToOne: false
      referencedRelation: "admin_dispute_queue"
      referencedColumns: ["dispute_id"]
    },{
      foreignKeyName: "dispute_comments_dispute_id_fkey"
      columns: ["dispute_id"]
isOneToOne: false
      referencedRelation: "disputes"
      referencedColumns: ["id"]
    }
                  ]
                },"dispute_evidence": {
                  Row: {
                    "created_at": string,"dispute_id": string,"id": string,"note": string | null,"object_path": string,"uploaded_by": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"dispute_id": string,"id"?: string,"note"?: string | null,"object_path": string,"uploaded_by": string
                  }
                  Update: {
                    "created_at"?: string,"dispute_id"?: string,"id"?: string,"note"?: string | null,"object_path"?: string,"uploaded_by"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "dispute_evidence_dispute_id_fkey"
      columns: ["dispute_id"]
isOneToOne: false
      referencedRelation: "admin_dispute_queue"
      referencedColumns: ["dispute_id"]
    },{
      foreignKeyName: "dispute_evidence_dispute_id_fkey"
      columns: ["dispute_id"]
isOneToOne: false
      referencedRelation: "disputes"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "dispute_evidence_uploaded_by_fkey"
      columns: ["uploaded_by"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"disputes": {
                  Row: {
                    "booking_id": string,"booking_status_before": Database["public"]['Enums']["booking_status"],"created_at": string,"id": string,"opened_by": string,"opener_role": Database["public"]['Enums']["booking_actor"],"outcome": Database["public"]['Enums']["dispute_outcome"] | null,"reason": string,"refund_minor": number | null,"resolution_note": string | null,"resolved_at": string | null,"resolved_by": string | null,"status": Database["public"]['Enums']["dispute_status"],"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "booking_id": string,"booking_status_before": Database["public"]['Enums']["booking_status"],"created_at"?: string,"id"?: string,"opened_by": string,"opener_role": Database["public"]['Enums']["booking_actor"],"outcome"?: Database["public"]['Enums']["dispute_outcome"] | null,"reason": string,"refund_minor"?: number | null,"resolution_note"?: string | null,"resolved_at"?: string | null,"resolved_by"?: string | null,"status"?: Database["public"]['Enums']["dispute_status"],"updated_at"?: string
                  }
                  Update: {
                    "booking_id"?: string,"booking_status_before"?: Database["public"]['Enums']["booking_status"],"created_at"?: string,"id"?: string,"opened_by"?: string,"opener_role"?: Database["public"]['Enums']["booking_actor"],"outcome"?: Database["public"]['Enums']["dispute_outcome"] | null,"reason"?: string,"refund_minor"?: number | null,"resolution_note"?: string | null,"resolved_at"?: string | null,"resolved_by"?: string | null,"status"?: Database["public"]['Enums']["dispute_status"],"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "disputes_booking_id_fkey"
      columns: ["booking_id"]
isOneToOne: true
      referencedRelation: "bookings"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "disputes_opened_by_fkey"
      columns: ["opened_by"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"journal_entries": {
                  Row: {
                    "created_by": string | null,"currency": string,"id": number,"idempotency_key": string,"kind": string,"memo": string | null,"occurred_at": string,"reference": NonNullable<Json>
                  }
                  ComputedFields: never
                  Insert: {
                    "created_by"?: string | null,"currency": string,"id"?: never,"idempotency_key": string,"kind": string,"memo"?: string | null,"occurred_at"?: string,"reference"?: NonNullable<Json>
                  }
                  Update: {
                    "created_by"?: string | null,"currency"?: string,"id"?: never,"idempotency_key"?: string,"kind"?: string,"memo"?: string | null,"occurred_at"?: string,"reference"?: NonNullable<Json>
                  }
                  Relationships: [
                    
                  ]
                },"journal_lines": {
                  Row: {
                    "account_id": number,"amount_minor": number,"currency": string,"entry_id": number,"id": number
                  }
                  ComputedFields: never
                  Insert: {
                    "account_id": number,"amount_minor": number,"currency": string,"entry_id": number,"id"?: never
                  }
                  Update: {
                    "account_id"?: number,"amount_minor"?: number,"currency"?: string,"entry_id"?: number,"id"?: never
                  }
                  Relationships: [
                    {
      foreignKeyName: "journal_lines_account_fkey"
      columns: ["account_id","currency"]
isOneToOne: false
      referencedRelation: "ledger_accounts"
      referencedColumns: ["id","currency"]
    },{
      foreignKeyName: "journal_lines_entry_fkey"
      columns: ["entry_id","currency"]
isOneToOne: false
      referencedRelation: "journal_entries"
      referencedColumns: ["id","currency"]
    }
                  ]
                },"ledger_accounts": {
                  Row: {
                    "allow_negative": boolean | null,"balance_minor": number,"created_at": string,"currency": string,"debit_normal": boolean | null,"gateway": string | null,"id": number,"kind": Database["public"]['Enums']["ledger_account_kind"],"owner_id": string | null,"subject_id": string | null
                  }
                  ComputedFields: never
                  Insert: {
                    "allow_negative"?: never,"balance_minor"?: number,"created_at"?: string,"currency": string,"debit_normal"?: never,"gateway"?: string | null,"id"?: never,"kind": Database["public"]['Enums']["ledger_account_kind"],"owner_id"?: string | null,"subject_id"?: string | null
                  }
                  Update: {
                    "allow_negative"?: never,"balance_minor"?: number,"created_at"?: string,"currency"?: string,"debit_normal"?: never,"gateway"?: string | null,"id"?: never,"kind"?: Database["public"]['Enums']["ledger_account_kind"],"owner_id"?: string | null,"subject_id"?: string | null
                  }
                  Relationships: [
                    {
      foreignKeyName: "ledger_accounts_owner_id_fkey"
      columns: ["owner_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"markets": {
                  Row: {
                    "active": boolean,"code": string,"country_code": string,"created_at": string,"currency_code": string,"currency_minor_units": number,"default_locale": string,"is_default": boolean,"locales": (string)[],"modules": (Database["public"]['Enums']["market_module"])[],"name": string,"payment_gateways": (string)[],"phone_country_code": string,"role_labels": NonNullable<Json>,"sms_fallback_for_critical": boolean,"sms_provider": string | null,"time_zone": string,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "active"?: boolean,"code": string,"country_code": string,"created_at"?: string,"currency_code": string,"currency_minor_units"?: number,"default_locale": string,"is_default"?: boolean,"locales": (string)[],"modules"?: (Database["public"]['Enums']["market_module"])[],"name": string,"payment_gateways"?: (string)[],"phone_country_code": string,"role_labels"?: NonNullable<Json>,"sms_fallback_for_critical"?: boolean,"sms_provider"?: string | null,"time_zone": string,"updated_at"?: string
                  }
                  Update: {
                    "active"?: boolean,"code"?: string,"country_code"?: string,"created_at"?: string,"currency_code"?: string,"currency_minor_units"?: number,"default_locale"?: string,"is_default"?: boolean,"locales"?: (string)[],"modules"?: (Database["public"]['Enums']["market_module"])[],"name"?: string,"payment_gateways"?: (string)[],"phone_country_code"?: string,"role_labels"?: NonNullable<Json>,"sms_fallback_for_critical"?: boolean,"sms_provider"?: string | null,"time_zone"?: string,"updated_at"?: string
                  }
                  Relationships: [
                    
                  ]
                },"notification_preferences": {
                  Row: {
                    "category": string,"channel": Database["public"]['Enums']["notification_channel"],"enabled": boolean,"updated_at": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "category"?: string,"channel": Database["public"]['Enums']["notification_channel"],"enabled": boolean,"updated_at"?: string,"user_id"?: string
                  }
                  Update: {
                    "category"?: string,"channel"?: Database["public"]['Enums']["notification_channel"],"enabled"?: boolean,"updated_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "notification_preferences_user_id_fkey"
      columns: ["user_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"notifications": {
                  Row: {
                    "collapse_key": string | null,"created_at": string,"critical": boolean,"id": string,"notified_at": string,"occurrences": number,"params": NonNullable<Json>,"read_at": string | null,"template_key": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "collapse_key"?: string | null,"created_at"?: string,"critical"?: boolean,"id"?: string,"notified_at"?: string,"occurrences"?: number,"params"?: NonNullable<Json>,"read_at"?: string | null,"template_key": string,"user_id": string
                  }
                  Update: {
                    "collapse_key"?: string | null,"created_at"?: string,"critical"?: boolean,"id"?: string,"notified_at"?: string,"occurrences"?: number,"params"?: NonNullable<Json>,"read_at"?: string | null,"template_key"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "notifications_user_id_fkey"
      columns: ["user_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"payment_settings": {
                  Row: {
                    "approval_window": string,"cash_enabled": boolean,"created_at": string,"market_code": string,"min_payout_minor": number,"payout_rail": string,"release_hold": string,"updated_at": string,"wallet_enabled": boolean
                  }
                  ComputedFields: never
                  Insert: {
                    "approval_window"?: string,"cash_enabled"?: boolean,"created_at"?: string,"market_code": string,"min_payout_minor"?: number,"payout_rail"?: string,"release_hold"?: string,"updated_at"?: string,"wallet_enabled"?: boolean
                  }
                  Update: {
                    "approval_window"?: string,"cash_enabled"?: boolean,"created_at"?: string,"market_code"?: string,"min_payout_minor"?: number,"payout_rail"?: string,"release_hold"?: string,"updated_at"?: string,"wallet_enabled"?: boolean
                  }
                  Relationships: [
                    {
      foreignKeyName: "payment_settings_market_code_fkey"
      columns: ["market_code"]
isOneToOne: true
      referencedRelation: "markets"
      referencedColumns: ["code"]
    }
                  ]
                },"payments": {
                  Row: {
                    "amount_minor": number,"booking_id": string | null,"captured_minor": number,"checked_at": string | null,"commission_minor": number | null,"commission_rate_bps": number | null,"created_at": string,"created_by": string | null,"currency": string,"expires_at": string | null,"failure_reason": string | null,"gateway": string | null,"gateway_transaction_id": string | null,"id": string,"idempotency_key": string,"late": boolean,"market_code": string,"method": Database["public"]['Enums']["payment_method"],"payee_id": string | null,"payer_id": string,"purpose": Database["public"]['Enums']["payment_purpose"],"reference": string | null,"refunded_minor": number,"released_at": string | null,"settled_at": string | null,"status": Database["public"]['Enums']["payment_status"],"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "amount_minor": number,"booking_id"?: string | null,"captured_minor"?: number,"checked_at"?: string | null,"commission_minor"?: number | null,"commission_rate_bps"?: number | null,"created_at"?: string,"created_by"?: string | null,"currency": string,"expires_at"?: string | null,"failure_reason"?: string | null,"gateway"?: string | null,"gateway_transaction_id"?: string | null,"id"?: string,"idempotency_key": string,"late"?: boolean,"market_code": string,"method": Database["public"]['Enums']["payment_method"],"payee_id"?: string | null,"payer_id": string,"purpose"?: Database["public"]['Enums']["payment_purpose"],"reference"?: string | null,"refunded_minor"?: number,"released_at"?: string | null,"settled_at"?: string | null,"status"?: Database["public"]['Enums']["payment_status"],"updated_at"?: string
                  }
                  Update: {
                    "amount_minor"?: number,"booking_id"?: string | null,"captured_minor"?: number,"checked_at"?: string | null,"commission_minor"?: number | null,"commission_rate_bps"?: number | null,"created_at"?: string,"created_by"?: string | null,"currency"?: string,"expires_at"?: string | null,"failure_reason"?: string | null,"gateway"?: string | null,"gateway_transaction_id"?: string | null,"id"?: string,"idempotency_key"?: string,"late"?: boolean,"market_code"?: string,"method"?: Database["public"]['Enums']["payment_method"],"payee_id"?: string | null,"payer_id"?: string,"purpose"?: Database["public"]['Enums']["payment_purpose"],"reference"?: string | null,"refunded_minor"?: number,"released_at"?: string | null,"settled_at"?: string | null,"status"?: Database["public"]['Enums']["payment_status"],"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "payments_booking_id_fkey"
      columns: ["booking_id"]
isOneToOne: false
      referencedRelation: "bookings"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "payments_market_code_fkey"
      columns: ["market_code"]
isOneToOne: false
      referencedRelation: "markets"
      referencedColumns: ["code"]
    },{
      foreignKeyName: "payments_payee_id_fkey"
      columns: ["payee_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "payments_payer_id_fkey"
      columns: ["payer_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"payouts": {
                  Row: {
                    "amount_minor": number,"attempts": number,"completed_at": string | null,"created_at": string,"currency": string,"debt_settled_minor": number,"failure_reason": string | null,"gateway_reference": string | null,"id": string,"idempotency_key": string,"market_code": string,"next_attempt_at": string,"phone": string,"provider_id": string,"rail": string,"status": Database["public"]['Enums']["payout_status"],"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "amount_minor": number,"attempts"?: number,"completed_at"?: string | null,"created_at"?: string,"currency": string,"debt_settled_minor"?: number,"failure_reason"?: string | null,"gateway_reference"?: string | null,"id"?: string,"idempotency_key": string,"market_code": string,"next_attempt_at"?: string,"phone": string,"provider_id": string,"rail": string,"status"?: Database["public"]['Enums']["payout_status"],"updated_at"?: string
                  }
                  Update: {
                    "amount_minor"?: number,"attempts"?: number,"completed_at"?: string | null,"created_at"?: string,"currency"?: string,"debt_settled_minor"?: number,"failure_reason"?: string | null,"gateway_reference"?: string | null,"id"?: string,"idempotency_key"?: string,"market_code"?: string,"next_attempt_at"?: string,"phone"?: string,"provider_id"?: string,"rail"?: string,"status"?: Database["public"]['Enums']["payout_status"],"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "payouts_market_code_fkey"
      columns: ["market_code"]
isOneToOne: false
      referencedRelation: "markets"
      referencedColumns: ["code"]
    },{
      foreignKeyName: "payouts_provider_id_fkey"
      columns: ["provider_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"profiles": {
                  Row: {
                    "avatar_path": string | null,"created_at": string,"display_name": string | null,"id": string,"market_code": string,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "avatar_path"?: string | null,"created_at"?: string,"display_name"?: string | null,"id": string,"market_code": string,"updated_at"?: string
                  }
                  Update: {
                    "avatar_path"?: string | null,"created_at"?: string,"display_name"?: string | null,"id"?: string,"market_code"?: string,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "profiles_market_code_fkey"
      columns: ["market_code"]
isOneToOne: false
      referencedRelation: "markets"
      referencedColumns: ["code"]
    }
                  ]
                },"provider_locations": {
                  Row: {
                    "lat": number,"lng": number,"location": unknown,"provider_id": string,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "lat": number,"lng": number,"location"?: never,"provider_id": string,"updated_at"?: string
                  }
                  Update: {
                    "lat"?: number,"lng"?: number,"location"?: never,"provider_id"?: string,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "provider_locations_provider_id_fkey"
      columns: ["provider_id"]
isOneToOne: true
      referencedRelation: "providers"
      referencedColumns: ["id"]
    }
                  ]
                },"provider_verifications": {
                  Row: {
                    "decided_at": string | null,"decided_by": string | null,"decision_reason": string | null,"document_paths": (string)[],"id": string,"note": string | null,"provider_id": string,"status": Database["public"]['Enums']["verification_request_status"],"submitted_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "decided_at"?: string | null,"decided_by"?: string | null,"decision_reason"?: string | null,"document_paths"?: (string)[],"id"?: string,"note"?: string | null,"provider_id": string,"status"?: Database["public"]['Enums']["verification_request_status"],"submitted_at"?: string
                  }
                  Update: {
                    "decided_at"?: string | null,"decided_by"?: string | null,"decision_reason"?: string | null,"document_paths"?: (string)[],"id"?: string,"note"?: string | null,"provider_id"?: string,"status"?: Database["public"]['Enums']["verification_request_status"],"submitted_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "provider_verifications_provider_id_fkey"
      columns: ["provider_id"]
isOneToOne: false
      referencedRelation: "providers"
      referencedColumns: ["id"]
    }
                  ]
                },"providers": {
                  Row: {
                    "active": boolean,"bio": NonNullable<Json>,"business_name": string,"certifications": (string)[],"created_at": string,"id": string,"market_code": string,"rating_average": number | null,"rating_count": number,"rating_sum": number,"service_radius_m": number,"skills": (string)[],"time_zone": string,"updated_at": string,"verification_status": Database["public"]['Enums']["verification_status"],"verified": boolean | null,"verified_at": string | null,"years_experience": number
                  }
                  ComputedFields: never
                  Insert: {
                    "active"?: boolean,"bio"?: NonNullable<Json>,"business_name": string,"certifications"?: (string)[],"created_at"?: string,"id": string,"market_code": string,"rating_average"?: never,"rating_count"?: number,"rating_sum"?: number,"service_radius_m"?: number,"skills"?: (string)[],"time_zone": string,"updated_at"?: string,"verification_status"?: Database["public"]['Enums']["verification_status"],"verified"?: never,"verified_at"?: string | null,"years_experience"?: number
                  }
                  Update: {
                    "active"?: boolean,"bio"?: NonNullable<Json>,"business_name"?: string,"certifications"?: (string)[],"created_at"?: string,"id"?: string,"market_code"?: string,"rating_average"?: never,"rating_count"?: number,"rating_sum"?: number,"service_radius_m"?: number,"skills"?: (string)[],"time_zone"?: string,"updated_at"?: string,"verification_status"?: Database["public"]['Enums']["verification_status"],"verified"?: never,"verified_at"?: string | null,"years_experience"?: number
                  }
                  Relationships: [
                    {
      foreignKeyName: "providers_id_fkey"
      columns: ["id"]
isOneToOne: true
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "providers_market_code_fkey"
      columns: ["market_code"]
isOneToOne: false
      referencedRelation: "markets"
      referencedColumns: ["code"]
    }
                  ]
                },"refunds": {
                  Row: {
                    "amount_minor": number,"attempts": number,"booking_id": string | null,"completed_at": string | null,"created_at": string,"currency": string,"destination": Database["public"]['Enums']["refund_destination"],"failure_reason": string | null,"gateway": string | null,"gateway_refund_id": string | null,"id": string,"idempotency_key": string,"next_attempt_at": string,"origin": Database["public"]['Enums']["refund_origin"],"payment_id": string,"reason": string | null,"requested_by": string | null,"status": Database["public"]['Enums']["refund_status"],"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "amount_minor": number,"attempts"?: number,"booking_id"?: string | null,"completed_at"?: string | null,"created_at"?: string,"currency": string,"destination": Database["public"]['Enums']["refund_destination"],"failure_reason"?: string | null,"gateway"?: string | null,"gateway_refund_id"?: string | null,"id"?: string,"idempotency_key": string,"next_attempt_at"?: string,"origin": Database["public"]['Enums']["refund_origin"],"payment_id": string,"reason"?: string | null,"requested_by"?: string | null,"status": Database["public"]['Enums']["refund_status"],"updated_at"?: string
                  }
                  Update: {
                    "amount_minor"?: number,"attempts"?: number,"booking_id"?: string | null,"completed_at"?: string | null,"created_at"?: string,"currency"?: string,"destination"?: Database["public"]['Enums']["refund_destination"],"failure_reason"?: string | null,"gateway"?: string | null,"gateway_refund_id"?: string | null,"id"?: string,"idempotency_key"?: string,"next_attempt_at"?: string,"origin"?: Database["public"]['Enums']["refund_origin"],"payment_id"?: string,"reason"?: string | null,"requested_by"?: string | null,"status"?: Database["public"]['Enums']["refund_status"],"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "refunds_booking_id_fkey"
      columns: ["booking_id"]
isOneToOne: false
      referencedRelation: "bookings"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "refunds_payment_id_fkey"
      columns: ["payment_id"]
isOneToOne: false
      referencedRelation: "payments"
      referencedColumns: ["id"]
    }
                  ]
                },"reviews": {
                  Row: {
                    "author_id": string,"author_role": Database["public"]['Enums']["booking_actor"],"booking_id": string,"comment": string | null,"created_at": string,"hidden_at": string | null,"hidden_by": string | null,"hidden_reason": string | null,"id": string,"publish_after": string,"published_at": string | null,"rating": number,"subject_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "author_id": string,"author_role": Database["public"]['Enums']["booking_actor"],"booking_id": string,"comment"?: string | null,"created_at"?: string,"hidden_at"?: string | null,"hidden_by"?: string | null,"hidden_reason"?: string | null,"id"?: string,"publish_after": string,"published_at"?: string | null,"rating": number,"subject_id": string
                  }
                  Update: {
                    "author_id"?: string,"author_role"?: Database["public"]['Enums']["booking_actor"],"booking_id"?: string,"comment"?: string | null,"created_at"?: string,"hidden_at"?: string | null,"hidden_by"?: string | null,"hidden_reason"?: string | null,"id"?: string,"publish_after"?: string,"published_at"?: string | null,"rating"?: number,"subject_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "reviews_author_id_fkey"
      columns: ["author_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "reviews_booking_id_fkey"
      columns: ["booking_id"]
isOneToOne: false
      referencedRelation: "bookings"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "reviews_subject_id_fkey"
      columns: ["subject_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"service_categories": {
                  Row: {
                    "active": boolean,"created_at": string,"icon": string | null,"id": string,"name": NonNullable<Json>,"parent_id": string | null,"position": number,"search_text": string | null,"slug": string,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "active"?: boolean,"created_at"?: string,"icon"?: string | null,"id"?: string,"name": NonNullable<Json>,"parent_id"?: string | null,"position"?: number,"search_text"?: never,"slug": string,"updated_at"?: string
                  }
                  Update: {
                    "active"?: boolean,"created_at"?: string,"icon"?: string | null,"id"?: string,"name"?: NonNullable<Json>,"parent_id"?: string | null,"position"?: number,"search_text"?: never,"slug"?: string,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "service_categories_parent_id_fkey"
      columns: ["parent_id"]
isOneToOne: false
      referencedRelation: "service_categories"
      referencedColumns: ["id"]
    }
                  ]
                },"service_listings": {
                  Row: {
                    "active": boolean,"buffer_after_minutes": number,"buffer_before_minutes": number,"category_id": string,"coverage_radius_m": number | null,"created_at": string,"description": NonNullable<Json>,"duration_minutes": number,"id": string,"market_code": string,"media_paths": (string)[],"min_notice_minutes": number,"price_minor": number,"pricing_unit": Database["public"]['Enums']["pricing_unit"],"provider_id": string,"search_text": string | null,"title": NonNullable<Json>,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "active"?: boolean,"buffer_after_minutes"?: number,"buffer_before_minutes"?: number,"category_id": string,"coverage_radius_m"?: number | null,"created_at"?: string,"description"?: NonNullable<Json>,"duration_minutes"?: number,"id"?: string,"market_code": string,"media_paths"?: (string)[],"min_notice_minutes"?: number,"price_minor": number,"pricing_unit"?: Database["public"]['Enums']["pricing_unit"],"provider_id"?: string,"search_text"?: never,"title": NonNullable<Json>,"updated_at"?: string
                  }
                  Update: {
                    "active"?: boolean,"buffer_after_minutes"?: number,"buffer_before_minutes"?: number,"category_id"?: string,"coverage_radius_m"?: number | null,"created_at"?: string,"description"?: NonNullable<Json>,"duration_minutes"?: number,"id"?: string,"market_code"?: string,"media_paths"?: (string)[],"min_notice_minutes"?: number,"price_minor"?: number,"pricing_unit"?: Database["public"]['Enums']["pricing_unit"],"provider_id"?: string,"search_text"?: never,"title"?: NonNullable<Json>,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "service_listings_category_id_fkey"
      columns: ["category_id"]
isOneToOne: false
      referencedRelation: "service_categories"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "service_listings_market_code_fkey"
      columns: ["market_code"]
isOneToOne: false
      referencedRelation: "markets"
      referencedColumns: ["code"]
    },{
      foreignKeyName: "service_listings_provider_id_fkey"
      columns: ["provider_id"]
isOneToOne: false
      referencedRelation: "providers"
      referencedColumns: ["id"]
    }
                  ]
                },"service_settings": {
                  Row: {
                    "booking_horizon": string,"created_at": string,"dispute_window": string,"market_code": string,"max_search_radius_m": number,"request_ttl": string,"requires_verified_providers": boolean,"review_window": string,"slot_step": string,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "booking_horizon"?: string,"created_at"?: string,"dispute_window"?: string,"market_code": string,"max_search_radius_m"?: number,"request_ttl"?: string,"requires_verified_providers"?: boolean,"review_window"?: string,"slot_step"?: string,"updated_at"?: string
                  }
                  Update: {
                    "booking_horizon"?: string,"created_at"?: string,"dispute_window"?: string,"market_code"?: string,"max_search_radius_m"?: number,"request_ttl"?: string,"requires_verified_providers"?: boolean,"review_window"?: string,"slot_step"?: string,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "service_settings_market_code_fkey"
      columns: ["market_code"]
isOneToOne: true
      referencedRelation: "markets"
      referencedColumns: ["code"]
    }
                  ]
                },"user_roles": {
                  Row: {
                    "granted_at": string,"granted_by": string | null,"role": Database["public"]['Enums']["app_role"],"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "granted_at"?: string,"granted_by"?: string | null,"role": Database["public"]['Enums']["app_role"],"user_id": string
                  }
                  Update: {
                    "granted_at"?: string,"granted_by"?: string | null,"role"?: Database["public"]['Enums']["app_role"],"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "user_roles_user_id_fkey"
      columns: ["user_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"webhook_inbox": {
                  Row: {
                    "attempts": number,"error": string | null,"event_id": string | null,"gateway": string,"headers": NonNullable<Json>,"id": number,"payload": string,"payment_id": string | null,"processed_at": string | null,"received_at": string,"result": string | null,"signature_valid": boolean | null
                  }
                  ComputedFields: never
                  Insert: {
                    "attempts"?: number,"error"?: string | null,"event_id"?: string | null,"gateway": string,"headers"?: NonNullable<Json>,"id"?: never,"payload": string,"payment_id"?: string | null,"processed_at"?: string | null,"received_at"?: string,"result"?: string | null,"signature_valid"?: boolean | null
                  }
                  Update: {
                    "attempts"?: number,"error"?: string | null,"event_id"?: string | null,"gateway"?: string,"headers"?: NonNullable<Json>,"id"?: never,"payload"?: string,"payment_id"?: string | null,"processed_at"?: string | null,"received_at"?: string,"result"?: string | null,"signature_valid"?: boolean | null
                  }
                  Relationships: [
                    {
      foreignKeyName: "webhook_inbox_payment_id_fkey"
      columns: ["payment_id"]
isOneToOne: false
      referencedRelation: "payments"
      referencedColumns: ["id"]
    }
                  ]
                }
          }
          Views: {
            "admin_daily_bookings": {
                  Row: {
                    "accepted": number | null,"bookings": number | null,"cancelled": number | null,"completed": number | null,"day": string | null,"declined": number | null,"disputed": number | null,"expired": number | null,"in_progress": number | null,"market_code": string,"requested": number | null,"resolved": number | null
                  }
                  ComputedFields: never
                  Relationships: [
                    {
      foreignKeyName: "bookings_market_code_fkey"
      columns: ["market_code"]
isOneToOne: false
      referencedRelation: "markets"
      referencedColumns: ["code"]
    }
                  ]
                },"admin_daily_payouts": {
                  Row: {
                    "currency": string,"day": string | null,"debt_settled_minor": number | null,"failed": number | null,"failed_minor": number | null,"market_code": string,"requested": number | null,"requested_minor": number | null,"succeeded": number | null,"succeeded_minor": number | null
                  }
                  ComputedFields: never
                  Relationships: [
                    {
      foreignKeyName: "payouts_market_code_fkey"
      columns: ["market_code"]
isOneToOne: false
      referencedRelation: "markets"
      referencedColumns: ["code"]
    }
                  ]
                },"admin_daily_revenue": {
                  Row: {
                    "commission_minor": number | null,"currency": string | null,"day": string | null,"gmv_cash_minor": number | null,"gmv_minor": number | null,"gmv_platform_minor": number | null,"market_code": string | null,"payments_settled": number | null,"refunds": number | null,"refunds_minor": number | null
                  }
                  ComputedFields: never
                  Relationships: [
                    
                  ]
                },"admin_dispute_queue": {
                  Row: {
                    "age": string | null,"booking_id": string,"booking_status_before": Database["public"]['Enums']["booking_status"],"comment_count": number | null,"currency": string,"customer_id": string,"customer_name": string | null,"dispute_id": string,"escrow_minor": number | null,"evidence_count": number | null,"market_code": string,"opened_at": string,"opened_by": string,"opener_role": Database["public"]['Enums']["booking_actor"],"paid_minor": number | null,"price_minor": number,"provider_id": string,"provider_name": string | null,"reason": string
                  }
                  ComputedFields: never
                  Relationships: [
                    {
      foreignKeyName: "bookings_customer_id_fkey"
      columns: ["customer_id"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "bookings_market_code_fkey"
      columns: ["market_code"]
isOneToOne: false
      referencedRelation: "markets"
      referencedColumns: ["code"]
    },{
      foreignKeyName: "bookings_provider_id_fkey"
      columns: ["provider_id"]
isOneToOne: false
      referencedRelation: "providers"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "disputes_booking_id_fkey"
      columns: ["booking_id"]
isOneToOne: true
      referencedRelation: "bookings"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "disputes_opened_by_fkey"
      columns: ["opened_by"]
isOneToOne: false
      referencedRelation: "profiles"
      referencedColumns: ["id"]
    }
                  ]
                },"admin_verification_queue": {
                  Row: {
                    "age": string | null,"display_name": string | null,"document_count": number | null,"earlier_rejections": number | null,"market_code": string,"note": string | null,"provider_id": string,"provider_name": string,"provider_status": Database["public"]['Enums']["verification_status"],"submitted_at": string,"verification_id": string
                  }
                  ComputedFields: never
                  Relationships: [
                    {
      foreignKeyName: "provider_verifications_provider_id_fkey"
      columns: ["provider_id"]
isOneToOne: false
      referencedRelation: "providers"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "providers_market_code_fkey"
      columns: ["market_code"]
isOneToOne: false
      referencedRelation: "markets"
      referencedColumns: ["code"]
    }
                  ]
                },"chat_participants": {
                  Row: {
                    "blocked_at": string | null,"joined_at": string | null,"last_read_at": string | null,"last_read_message_id": number | null,"muted": boolean | null,"role": Database["public"]['Enums']["chat_participant_role"] | null,"thread_id": string | null,"unread_count": number | null,"user_id": string | null
                  }
                  ComputedFields: never
                  Relationships: [
                    
                  ]
                }
          }
          Functions: {
            "add_dispute_evidence":
{ Args: { "dispute_id": string,"note"?: string,"object_path": string }; Returns: {
              "created_at": string,
"dispute_id": string,
"id": string,
"note": string | null,
"object_path": string,
"uploaded_by": string
            }
                          SetofOptions: {
        from: "*"
        to: "dispute_evidence"
        isOneToOne: true
        isSetofReturn: false
      } },
"admin_dashboard":
{ Args: { "from_date": string,"market": string,"to_date": string }; Returns: Json
                           },
"approve_verification":
{ Args: { "reason": string,"verification_id": string }; Returns: {
              "decided_at": string | null,
"decided_by": string | null,
"decision_reason": string | null,
"document_paths": (string)[],
"id": string,
"note": string | null,
"provider_id": string,
"status": Database["public"]['Enums']["verification_request_status"],
"submitted_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "provider_verifications"
        isOneToOne: true
        isSetofReturn: false
      } },
"booking_refund_quote":
{ Args: { "booking_id": string }; Returns: {
              "currency_code": string,"refund_minor": number,"refund_percent": number
            }[]
                           },
"cancel_payment":
{ Args: { "payment_id": string }; Returns: {
              "amount_minor": number,
"booking_id": string | null,
"captured_minor": number,
"checked_at": string | null,
"commission_minor": number | null,
"commission_rate_bps": number | null,
"created_at": string,
"created_by": string | null,
"currency": string,
"expires_at": string | null,
"failure_reason": string | null,
"gateway": string | null,
"gateway_transaction_id": string | null,
"id": string,
"idempotency_key": string,
"late": boolean,
"market_code": string,
"method": Database["public"]['Enums']["payment_method"],
"payee_id": string | null,
"payer_id": string,
"purpose": Database["public"]['Enums']["payment_purpose"],
"reference": string | null,
"refunded_minor": number,
"released_at": string | null,
"settled_at": string | null,
"status": Database["public"]['Enums']["payment_status"],
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "payments"
        isOneToOne: true
        isSetofReturn: false
      } },
"chat_unread_count":
{ Args: Record<PropertyKey, never>; Returns: {
              "unread_messages": number,"unread_threads": number
            }[]
                           },
"comment_on_dispute":
{ Args: { "body": string,"dispute_id": string }; Returns: {
              "author_id": string,
"author_role": Database["public"]['Enums']["booking_actor"],
"body": string,
"created_at": string,
"dispute_id": string,
"id": number
            }
                          SetofOptions: {
        from: "*"
        to: "dispute_comments"
        isOneToOne: true
        isSetofReturn: false
      } },
"confirm_cash_payment":
{ Args: { "booking_id": string }; Returns: {
              "amount_minor": number,
"booking_id": string | null,
"captured_minor": number,
"checked_at": string | null,
"commission_minor": number | null,
"commission_rate_bps": number | null,
"created_at": string,
"created_by": string | null,
"currency": string,
"expires_at": string | null,
"failure_reason": string | null,
"gateway": string | null,
"gateway_transaction_id": string | null,
"id": string,
"idempotency_key": string,
"late": boolean,
"market_code": string,
"method": Database["public"]['Enums']["payment_method"],
"payee_id": string | null,
"payer_id": string,
"purpose": Database["public"]['Enums']["payment_purpose"],
"reference": string | null,
"refunded_minor": number,
"released_at": string | null,
"settled_at": string | null,
"status": Database["public"]['Enums']["payment_status"],
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "payments"
        isOneToOne: true
        isSetofReturn: false
      } },
"custom_access_token_hook":
{ Args: { "event": Json }; Returns: Json
                           },
"delete_message":
{ Args: { "message_id": number }; Returns: {
              "attachment_mime": string | null,
"attachment_name": string | null,
"attachment_path": string | null,
"attachment_size": number | null,
"body": string | null,
"client_id": string,
"created_at": string,
"deleted_at": string | null,
"deleted_by": string | null,
"edited_at": string | null,
"id": number,
"kind": Database["public"]['Enums']["chat_message_kind"],
"sender_id": string | null,
"thread_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "chat_messages"
        isOneToOne: true
        isSetofReturn: false
      } },
"edit_message":
{ Args: { "body": string,"message_id": number }; Returns: {
              "attachment_mime": string | null,
"attachment_name": string | null,
"attachment_path": string | null,
"attachment_size": number | null,
"body": string | null,
"client_id": string,
"created_at": string,
"deleted_at": string | null,
"deleted_by": string | null,
"edited_at": string | null,
"id": number,
"kind": Database["public"]['Enums']["chat_message_kind"],
"sender_id": string | null,
"thread_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "chat_messages"
        isOneToOne: true
        isSetofReturn: false
      } },
"grant_role":
{ Args: { "reason"?: string,"role": Database["public"]['Enums']["app_role"],"user_id": string }; Returns: (Database["public"]['Enums']["app_role"])[]
                           },
"hide_review":
{ Args: { "reason": string,"review_id": string }; Returns: {
              "author_id": string,
"author_role": Database["public"]['Enums']["booking_actor"],
"booking_id": string,
"comment": string | null,
"created_at": string,
"hidden_at": string | null,
"hidden_by": string | null,
"hidden_reason": string | null,
"id": string,
"publish_after": string,
"published_at": string | null,
"rating": number,
"subject_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "reviews"
        isOneToOne: true
        isSetofReturn: false
      } },
"list_chat_reports":
{ Args: { "after_created_at"?: string,"after_id"?: string,"page_size"?: number,"status"?: Database["public"]['Enums']["chat_report_status"] }; Returns: {
              "created_at": string,
"id": string,
"message_attachment_path": string | null,
"message_body": string | null,
"message_id": number,
"message_kind": Database["public"]['Enums']["chat_message_kind"],
"message_sent_at": string,
"note": string | null,
"reason": Database["public"]['Enums']["chat_report_reason"],
"reported_user_id": string | null,
"reporter_id": string,
"resolution_note": string | null,
"resolved_at": string | null,
"resolved_by": string | null,
"status": Database["public"]['Enums']["chat_report_status"],
"thread_id": string
            }[]
                          SetofOptions: {
        from: "*"
        to: "chat_reports"
        isOneToOne: false
        isSetofReturn: true
      } },
"list_messages":
{ Args: { "before_id"?: number,"page_size"?: number,"thread_id": string }; Returns: {
              "attachment_mime": string | null,
"attachment_name": string | null,
"attachment_path": string | null,
"attachment_size": number | null,
"body": string | null,
"client_id": string,
"created_at": string,
"deleted_at": string | null,
"deleted_by": string | null,
"edited_at": string | null,
"id": number,
"kind": Database["public"]['Enums']["chat_message_kind"],
"sender_id": string | null,
"thread_id": string
            }[]
                          SetofOptions: {
        from: "*"
        to: "chat_messages"
        isOneToOne: false
        isSetofReturn: true
      } },
"list_notifications":
{ Args: { "before_id"?: string,"before_notified_at"?: string,"page_size"?: number,"unread_only"?: boolean }; Returns: {
              "collapse_key": string | null,
"created_at": string,
"critical": boolean,
"id": string,
"notified_at": string,
"occurrences": number,
"params": NonNullable<Json>,
"read_at": string | null,
"template_key": string,
"user_id": string
            }[]
                          SetofOptions: {
        from: "*"
        to: "notifications"
        isOneToOne: false
        isSetofReturn: true
      } },
"list_threads":
{ Args: { "before_activity_at"?: string,"before_thread_id"?: string,"page_size"?: number }; Returns: {
              "activity_at": string,"blocked": boolean,"booking_id": string,"customer_id": string,"last_message": Json,"last_read_message_id": number,"listing_id": string,"muted": boolean,"provider_id": string,"subject_type": Database["public"]['Enums']["chat_subject_type"],"thread_id": string,"unread_count": number
            }[]
                           },
"listing_slots":
{ Args: { "from_date": string,"listing_id": string,"to_date": string }; Returns: {
              "ends_at": string,"starts_at": string
            }[]
                           },
"mark_all_notifications_read":
{ Args: { "up_to"?: string }; Returns: number
                           },
"mark_notification_read":
{ Args: { "notification_id": string }; Returns: {
              "collapse_key": string | null,
"created_at": string,
"critical": boolean,
"id": string,
"notified_at": string,
"occurrences": number,
"params": NonNullable<Json>,
"read_at": string | null,
"template_key": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "notifications"
        isOneToOne: true
        isSetofReturn: false
      } },
"mark_thread_read":
{ Args: { "thread_id": string,"up_to_message_id"?: number }; Returns: {
              "blocked_at": string | null,
"joined_at": string | null,
"last_read_at": string | null,
"last_read_message_id": number | null,
"muted": boolean | null,
"role": Database["public"]['Enums']["chat_participant_role"] | null,
"thread_id": string | null,
"unread_count": number | null,
"user_id": string | null
            }
                          SetofOptions: {
        from: "*"
        to: "chat_participants"
        isOneToOne: true
        isSetofReturn: false
      } },
"my_balances":
{ Args: Record<PropertyKey, never>; Returns: {
              "available_minor": number,"currency": string,"earnings_minor": number,"escrow_minor": number,"in_flight_minor": number,"receivable_minor": number,"wallet_minor": number
            }[]
                           },
"my_bookings":
{ Args: { "as_role"?: string,"before"?: string,"before_id"?: string,"page_size"?: number }; Returns: {
              "accepted_at": string | null,
"address": string,
"cancelled_at": string | null,
"completed_at": string | null,
"created_at": string,
"currency_code": string,
"customer_id": string,
"ends_at": string,
"expires_at": string | null,
"id": string,
"idempotency_key": string,
"lat": number,
"listing_id": string,
"lng": number,
"market_code": string,
"notes": string | null,
"occupied": unknown,
"payment_status": Database["public"]['Enums']["booking_payment_status"],
"price_minor": number,
"pricing_unit": Database["public"]['Enums']["pricing_unit"],
"provider_id": string,
"started_at": string | null,
"starts_at": string,
"status": Database["public"]['Enums']["booking_status"],
"status_changed_at": string,
"time_zone": string,
"updated_at": string
            }[]
                          SetofOptions: {
        from: "*"
        to: "bookings"
        isOneToOne: false
        isSetofReturn: true
      } },
"open_booking_thread":
{ Args: { "booking_id": string }; Returns: {
              "activity_at": string,
"booking_id": string | null,
"created_at": string,
"customer_id": string,
"customer_last_read_at": string | null,
"customer_last_read_message_id": number | null,
"customer_muted": boolean,
"customer_unread": number,
"id": string,
"last_message_id": number | null,
"listing_id": string | null,
"provider_id": string,
"provider_last_read_at": string | null,
"provider_last_read_message_id": number | null,
"provider_muted": boolean,
"provider_unread": number,
"subject_type": Database["public"]['Enums']["chat_subject_type"]
            }
                          SetofOptions: {
        from: "*"
        to: "chat_threads"
        isOneToOne: true
        isSetofReturn: false
      } },
"open_dispute":
{ Args: { "booking_id": string,"evidence_paths"?: (string)[],"reason": string }; Returns: {
              "booking_id": string,
"booking_status_before": Database["public"]['Enums']["booking_status"],
"created_at": string,
"id": string,
"opened_by": string,
"opener_role": Database["public"]['Enums']["booking_actor"],
"outcome": Database["public"]['Enums']["dispute_outcome"] | null,
"reason": string,
"refund_minor": number | null,
"resolution_note": string | null,
"resolved_at": string | null,
"resolved_by": string | null,
"status": Database["public"]['Enums']["dispute_status"],
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "disputes"
        isOneToOne: true
        isSetofReturn: false
      } },
"open_inquiry":
{ Args: { "listing_id"?: string,"provider_id"?: string }; Returns: {
              "activity_at": string,
"booking_id": string | null,
"created_at": string,
"customer_id": string,
"customer_last_read_at": string | null,
"customer_last_read_message_id": number | null,
"customer_muted": boolean,
"customer_unread": number,
"id": string,
"last_message_id": number | null,
"listing_id": string | null,
"provider_id": string,
"provider_last_read_at": string | null,
"provider_last_read_message_id": number | null,
"provider_muted": boolean,
"provider_unread": number,
"subject_type": Database["public"]['Enums']["chat_subject_type"]
            }
                          SetofOptions: {
        from: "*"
        to: "chat_threads"
        isOneToOne: true
        isSetofReturn: false
      } },
"refund_payment":
{ Args: { "amount_minor": number,"destination": Database["public"]['Enums']["refund_destination"],"idempotency_key"?: string,"payment_id": string,"reason": string }; Returns: {
              "amount_minor": number,
"attempts": number,
"booking_id": string | null,
"completed_at": string | null,
"created_at": string,
"currency": string,
"destination": Database["public"]['Enums']["refund_destination"],
"failure_reason": string | null,
"gateway": string | null,
"gateway_refund_id": string | null,
"id": string,
"idempotency_key": string,
"next_attempt_at": string,
"origin": Database["public"]['Enums']["refund_origin"],
"payment_id": string,
"reason": string | null,
"requested_by": string | null,
"status": Database["public"]['Enums']["refund_status"],
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "refunds"
        isOneToOne: true
        isSetofReturn: false
      } },
"register_device_token":
{ Args: { "platform": Database["public"]['Enums']["device_platform"],"token": string }; Returns: {
              "created_at": string,
"id": number,
"last_seen_at": string,
"platform": Database["public"]['Enums']["device_platform"],
"token": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "device_tokens"
        isOneToOne: true
        isSetofReturn: false
      } },
"reject_verification":
{ Args: { "reason": string,"verification_id": string }; Returns: {
              "decided_at": string | null,
"decided_by": string | null,
"decision_reason": string | null,
"document_paths": (string)[],
"id": string,
"note": string | null,
"provider_id": string,
"status": Database["public"]['Enums']["verification_request_status"],
"submitted_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "provider_verifications"
        isOneToOne: true
        isSetofReturn: false
      } },
"report_message":
{ Args: { "message_id": number,"note"?: string,"reason": Database["public"]['Enums']["chat_report_reason"] }; Returns: {
              "created_at": string,
"id": string,
"message_attachment_path": string | null,
"message_body": string | null,
"message_id": number,
"message_kind": Database["public"]['Enums']["chat_message_kind"],
"message_sent_at": string,
"note": string | null,
"reason": Database["public"]['Enums']["chat_report_reason"],
"reported_user_id": string | null,
"reporter_id": string,
"resolution_note": string | null,
"resolved_at": string | null,
"resolved_by": string | null,
"status": Database["public"]['Enums']["chat_report_status"],
"thread_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "chat_reports"
        isOneToOne: true
        isSetofReturn: false
      } },
"request_booking":
{ Args: { "address": string,"idempotency_key": string,"lat": number,"listing_id": string,"lng": number,"notes"?: string,"starts_at": string }; Returns: {
              "accepted_at": string | null,
"address": string,
"cancelled_at": string | null,
"completed_at": string | null,
"created_at": string,
"currency_code": string,
"customer_id": string,
"ends_at": string,
"expires_at": string | null,
"id": string,
"idempotency_key": string,
"lat": number,
"listing_id": string,
"lng": number,
"market_code": string,
"notes": string | null,
"occupied": unknown,
"payment_status": Database["public"]['Enums']["booking_payment_status"],
"price_minor": number,
"pricing_unit": Database["public"]['Enums']["pricing_unit"],
"provider_id": string,
"started_at": string | null,
"starts_at": string,
"status": Database["public"]['Enums']["booking_status"],
"status_changed_at": string,
"time_zone": string,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "bookings"
        isOneToOne: true
        isSetofReturn: false
      } },
"request_payout":
{ Args: { "amount_minor": number,"idempotency_key"?: string,"phone"?: string }; Returns: {
              "amount_minor": number,
"attempts": number,
"completed_at": string | null,
"created_at": string,
"currency": string,
"debt_settled_minor": number,
"failure_reason": string | null,
"gateway_reference": string | null,
"id": string,
"idempotency_key": string,
"market_code": string,
"next_attempt_at": string,
"phone": string,
"provider_id": string,
"rail": string,
"status": Database["public"]['Enums']["payout_status"],
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "payouts"
        isOneToOne: true
        isSetofReturn: false
      } },
"reschedule_booking":
{ Args: { "booking_id": string,"reason"?: string,"starts_at": string }; Returns: {
              "accepted_at": string | null,
"address": string,
"cancelled_at": string | null,
"completed_at": string | null,
"created_at": string,
"currency_code": string,
"customer_id": string,
"ends_at": string,
"expires_at": string | null,
"id": string,
"idempotency_key": string,
"lat": number,
"listing_id": string,
"lng": number,
"market_code": string,
"notes": string | null,
"occupied": unknown,
"payment_status": Database["public"]['Enums']["booking_payment_status"],
"price_minor": number,
"pricing_unit": Database["public"]['Enums']["pricing_unit"],
"provider_id": string,
"started_at": string | null,
"starts_at": string,
"status": Database["public"]['Enums']["booking_status"],
"status_changed_at": string,
"time_zone": string,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "bookings"
        isOneToOne: true
        isSetofReturn: false
      } },
"resolve_chat_report":
{ Args: { "delete_message"?: boolean,"note"?: string,"report_id": string,"status": Database["public"]['Enums']["chat_report_status"] }; Returns: {
              "created_at": string,
"id": string,
"message_attachment_path": string | null,
"message_body": string | null,
"message_id": number,
"message_kind": Database["public"]['Enums']["chat_message_kind"],
"message_sent_at": string,
"note": string | null,
"reason": Database["public"]['Enums']["chat_report_reason"],
"reported_user_id": string | null,
"reporter_id": string,
"resolution_note": string | null,
"resolved_at": string | null,
"resolved_by": string | null,
"status": Database["public"]['Enums']["chat_report_status"],
"thread_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "chat_reports"
        isOneToOne: true
        isSetofReturn: false
      } },
"resolve_dispute":
{ Args: { "dispute_id": string,"note"?: string,"outcome": Database["public"]['Enums']["dispute_outcome"],"refund_minor"?: number }; Returns: {
              "booking_id": string,
"booking_status_before": Database["public"]['Enums']["booking_status"],
"created_at": string,
"id": string,
"opened_by": string,
"opener_role": Database["public"]['Enums']["booking_actor"],
"outcome": Database["public"]['Enums']["dispute_outcome"] | null,
"reason": string,
"refund_minor": number | null,
"resolution_note": string | null,
"resolved_at": string | null,
"resolved_by": string | null,
"status": Database["public"]['Enums']["dispute_status"],
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "disputes"
        isOneToOne: true
        isSetofReturn: false
      } },
"restore_user":
{ Args: { "reason": string,"user_id": string }; Returns: {
              "created_at": string,
"id": string,
"locale": string,
"phone": string | null,
"status": Database["public"]['Enums']["account_status"],
"status_changed_at": string | null,
"status_changed_by": string | null,
"status_reason": string | null,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "accounts"
        isOneToOne: true
        isSetofReturn: false
      } },
"revoke_role":
{ Args: { "reason"?: string,"role": Database["public"]['Enums']["app_role"],"user_id": string }; Returns: (Database["public"]['Enums']["app_role"])[]
                           },
"revoke_verification":
{ Args: { "provider_id": string,"reason": string }; Returns: {
              "active": boolean,
"bio": NonNullable<Json>,
"business_name": string,
"certifications": (string)[],
"created_at": string,
"id": string,
"market_code": string,
"rating_average": number | null,
"rating_count": number,
"rating_sum": number,
"service_radius_m": number,
"skills": (string)[],
"time_zone": string,
"updated_at": string,
"verification_status": Database["public"]['Enums']["verification_status"],
"verified": boolean | null,
"verified_at": string | null,
"years_experience": number
            }
                          SetofOptions: {
        from: "*"
        to: "providers"
        isOneToOne: true
        isSetofReturn: false
      } },
"save_provider_profile":
{ Args: { "active"?: boolean,"bio"?: Json,"business_name": string,"certifications"?: (string)[],"lat": number,"lng": number,"service_radius_m"?: number,"skills"?: (string)[],"time_zone": string,"years_experience"?: number }; Returns: {
              "active": boolean,
"bio": NonNullable<Json>,
"business_name": string,
"certifications": (string)[],
"created_at": string,
"id": string,
"market_code": string,
"rating_average": number | null,
"rating_count": number,
"rating_sum": number,
"service_radius_m": number,
"skills": (string)[],
"time_zone": string,
"updated_at": string,
"verification_status": Database["public"]['Enums']["verification_status"],
"verified": boolean | null,
"verified_at": string | null,
"years_experience": number
            }
                          SetofOptions: {
        from: "*"
        to: "providers"
        isOneToOne: true
        isSetofReturn: false
      } },
"search_services":
{ Args: { "after"?: string,"available_at"?: string,"category"?: string,"locale"?: string,"market"?: string,"max_price_minor"?: number,"min_rating"?: number,"near_lat"?: number,"near_lng"?: number,"page"?: number,"page_size"?: number,"query"?: string,"radius_m"?: number,"sort"?: string,"verified_only"?: boolean }; Returns: {
              "category_id": string,"currency_code": string,"distance_m": number,"duration_minutes": number,"listing_id": string,"market_code": string,"next_slot_at": string,"price_minor": number,"pricing_unit": Database["public"]['Enums']["pricing_unit"],"provider_id": string,"provider_name": string,"rating_average": number,"rating_count": number,"title": string,"verified": boolean
            }[]
                           },
"send_message":
{ Args: { "attachment_name"?: string,"attachment_path"?: string,"body"?: string,"client_id": string,"thread_id": string }; Returns: {
              "attachment_mime": string | null,
"attachment_name": string | null,
"attachment_path": string | null,
"attachment_size": number | null,
"body": string | null,
"client_id": string,
"created_at": string,
"deleted_at": string | null,
"deleted_by": string | null,
"edited_at": string | null,
"id": number,
"kind": Database["public"]['Enums']["chat_message_kind"],
"sender_id": string | null,
"thread_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "chat_messages"
        isOneToOne: true
        isSetofReturn: false
      } },
"set_notification_preference":
{ Args: { "category"?: string,"channel": Database["public"]['Enums']["notification_channel"],"enabled": boolean }; Returns: {
              "category": string,
"channel": Database["public"]['Enums']["notification_channel"],
"enabled": boolean,
"updated_at": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "notification_preferences"
        isOneToOne: true
        isSetofReturn: false
      } },
"set_thread_blocked":
{ Args: { "blocked": boolean,"thread_id": string }; Returns: {
              "blocked_at": string | null,
"joined_at": string | null,
"last_read_at": string | null,
"last_read_message_id": number | null,
"muted": boolean | null,
"role": Database["public"]['Enums']["chat_participant_role"] | null,
"thread_id": string | null,
"unread_count": number | null,
"user_id": string | null
            }
                          SetofOptions: {
        from: "*"
        to: "chat_participants"
        isOneToOne: true
        isSetofReturn: false
      } },
"set_thread_muted":
{ Args: { "muted": boolean,"thread_id": string }; Returns: {
              "blocked_at": string | null,
"joined_at": string | null,
"last_read_at": string | null,
"last_read_message_id": number | null,
"muted": boolean | null,
"role": Database["public"]['Enums']["chat_participant_role"] | null,
"thread_id": string | null,
"unread_count": number | null,
"user_id": string | null
            }
                          SetofOptions: {
        from: "*"
        to: "chat_participants"
        isOneToOne: true
        isSetofReturn: false
      } },
"set_user_blocked":
{ Args: { "blocked": boolean,"user_id": string }; Returns: boolean
                           },
"start_payment":
{ Args: { "booking_id": string,"gateway"?: string,"idempotency_key"?: string,"method": Database["public"]['Enums']["payment_method"] }; Returns: {
              "amount_minor": number,
"booking_id": string | null,
"captured_minor": number,
"checked_at": string | null,
"commission_minor": number | null,
"commission_rate_bps": number | null,
"created_at": string,
"created_by": string | null,
"currency": string,
"expires_at": string | null,
"failure_reason": string | null,
"gateway": string | null,
"gateway_transaction_id": string | null,
"id": string,
"idempotency_key": string,
"late": boolean,
"market_code": string,
"method": Database["public"]['Enums']["payment_method"],
"payee_id": string | null,
"payer_id": string,
"purpose": Database["public"]['Enums']["payment_purpose"],
"reference": string | null,
"refunded_minor": number,
"released_at": string | null,
"settled_at": string | null,
"status": Database["public"]['Enums']["payment_status"],
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "payments"
        isOneToOne: true
        isSetofReturn: false
      } },
"submit_review":
{ Args: { "booking_id": string,"comment"?: string,"rating": number }; Returns: {
              "author_id": string,
"author_role": Database["public"]['Enums']["booking_actor"],
"booking_id": string,
"comment": string | null,
"created_at": string,
"hidden_at": string | null,
"hidden_by": string | null,
"hidden_reason": string | null,
"id": string,
"publish_after": string,
"published_at": string | null,
"rating": number,
"subject_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "reviews"
        isOneToOne: true
        isSetofReturn: false
      } },
"submit_verification":
{ Args: { "document_paths": (string)[],"note"?: string }; Returns: {
              "decided_at": string | null,
"decided_by": string | null,
"decision_reason": string | null,
"document_paths": (string)[],
"id": string,
"note": string | null,
"provider_id": string,
"status": Database["public"]['Enums']["verification_request_status"],
"submitted_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "provider_verifications"
        isOneToOne: true
        isSetofReturn: false
      } },
"suspend_user":
{ Args: { "reason": string,"user_id": string }; Returns: {
              "created_at": string,
"id": string,
"locale": string,
"phone": string | null,
"status": Database["public"]['Enums']["account_status"],
"status_changed_at": string | null,
"status_changed_by": string | null,
"status_reason": string | null,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "accounts"
        isOneToOne: true
        isSetofReturn: false
      } },
"transition_booking":
{ Args: { "booking_id": string,"reason"?: string,"to_status": Database["public"]['Enums']["booking_status"] }; Returns: {
              "accepted_at": string | null,
"address": string,
"cancelled_at": string | null,
"completed_at": string | null,
"created_at": string,
"currency_code": string,
"customer_id": string,
"ends_at": string,
"expires_at": string | null,
"id": string,
"idempotency_key": string,
"lat": number,
"listing_id": string,
"lng": number,
"market_code": string,
"notes": string | null,
"occupied": unknown,
"payment_status": Database["public"]['Enums']["booking_payment_status"],
"price_minor": number,
"pricing_unit": Database["public"]['Enums']["pricing_unit"],
"provider_id": string,
"started_at": string | null,
"starts_at": string,
"status": Database["public"]['Enums']["booking_status"],
"status_changed_at": string,
"time_zone": string,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "bookings"
        isOneToOne: true
        isSetofReturn: false
      } },
"unhide_review":
{ Args: { "reason": string,"review_id": string }; Returns: {
              "author_id": string,
"author_role": Database["public"]['Enums']["booking_actor"],
"booking_id": string,
"comment": string | null,
"created_at": string,
"hidden_at": string | null,
"hidden_by": string | null,
"hidden_reason": string | null,
"id": string,
"publish_after": string,
"published_at": string | null,
"rating": number,
"subject_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "reviews"
        isOneToOne: true
        isSetofReturn: false
      } },
"unread_notification_count":
{ Args: Record<PropertyKey, never>; Returns: number
                           },
"unregister_device_token":
{ Args: { "token": string }; Returns: boolean
                           }
          }
          Enums: {
            "account_status": "active"|"suspended","app_role": "customer"|"provider"|"seller"|"staff"|"admin","availability_exception_kind": "time_off"|"extra_hours","booking_actor": "customer"|"provider"|"admin"|"system","booking_payment_status": "unpaid"|"pending"|"paid"|"partially_refunded"|"refunded","booking_status": "requested"|"accepted"|"declined"|"expired"|"in_progress"|"completed"|"cancelled_by_customer"|"cancelled_by_provider"|"cancelled_by_admin"|"disputed"|"resolved","chat_message_kind": "text"|"image"|"file","chat_participant_role": "customer"|"provider","chat_report_reason": "spam"|"harassment"|"fraud"|"inappropriate"|"other","chat_report_status": "open"|"dismissed"|"actioned","chat_subject_type": "booking"|"listing"|"provider","device_platform": "android"|"ios"|"web","dispute_outcome": "release_to_provider"|"partial_refund"|"full_refund","dispute_status": "open"|"resolved","ledger_account_kind": "platform_revenue"|"gateway_clearing"|"customer_wallet"|"provider_earnings"|"escrow"|"commission_receivable"|"payout_clearing","market_module": "services"|"goods"|"city","notification_channel": "in_app"|"push"|"sms","payment_method": "gateway"|"wallet"|"cash","payment_purpose": "booking","payment_status": "pending"|"succeeded"|"failed"|"expired"|"cancelled"|"refunded"|"partially_refunded","payout_status": "pending"|"processing"|"succeeded"|"failed","pricing_unit": "fixed"|"hourly"|"per_visit","refund_destination": "gateway"|"wallet","refund_origin": "cancellation"|"dispute"|"admin"|"gateway"|"duplicate"|"late","refund_status": "pending"|"processing"|"succeeded"|"failed","verification_request_status": "pending"|"approved"|"rejected"|"revoked","verification_status": "unverified"|"pending"|"verified"|"rejected"
          }
          CompositeTypes: {
            [_ in never]: never
          }
        }
}

type DatabaseWithoutInternals = Omit<Database, '__InternalSupabase'>

type DefaultSchema = DatabaseWithoutInternals[Extract<keyof Database, "public">]

export type Tables<
  DefaultSchemaTableNameOrOptions extends
    | keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
        DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])
    : never = never
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
      DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])[TableName] extends {
      Row: infer R
    }
    ? R
    : never
  : DefaultSchemaTableNameOrOptions extends keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
  ? (DefaultSchema["Tables"] & DefaultSchema["Views"])[DefaultSchemaTableNameOrOptions] extends {
      Row: infer R
    }
    ? R
    : never
  : never

export type TablesInsert<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never = never
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Insert: infer I
    }
    ? I
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
  ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
      Insert: infer I
    }
    ? I
    : never
  : never

export type TablesUpdate<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never = never
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Update: infer U
    }
    ? U
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
  ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
      Update: infer U
    }
    ? U
    : never
  : never

export type Enums<
  DefaultSchemaEnumNameOrOptions extends
    | keyof DefaultSchema["Enums"]
    | { schema: keyof DatabaseWithoutInternals },
  EnumName extends DefaultSchemaEnumNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"]
    : never = never
> = DefaultSchemaEnumNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"][EnumName]
  : DefaultSchemaEnumNameOrOptions extends keyof DefaultSchema["Enums"]
  ? DefaultSchema["Enums"][DefaultSchemaEnumNameOrOptions]
  : never

export type CompositeTypes<
  PublicCompositeTypeNameOrOptions extends
    | keyof DefaultSchema["CompositeTypes"]
    | { schema: keyof DatabaseWithoutInternals },
  CompositeTypeName extends PublicCompositeTypeNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"]
    : never = never
> = PublicCompositeTypeNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"][CompositeTypeName]
  : PublicCompositeTypeNameOrOptions extends keyof DefaultSchema["CompositeTypes"]
  ? DefaultSchema["CompositeTypes"][PublicCompositeTypeNameOrOptions]
  : never

export const Constants = {
  "public": {
          Enums: {
            "account_status": ["active", "suspended"],"app_role": ["customer", "provider", "seller", "staff", "admin"],"availability_exception_kind": ["time_off", "extra_hours"],"booking_actor": ["customer", "provider", "admin", "system"],"booking_payment_status": ["unpaid", "pending", "paid", "partially_refunded", "refunded"],"booking_status": ["requested", "accepted", "declined", "expired", "in_progress", "completed", "cancelled_by_customer", "cancelled_by_provider", "cancelled_by_admin", "disputed", "resolved"],"chat_message_kind": ["text", "image", "file"],"chat_participant_role": ["customer", "provider"],"chat_report_reason": ["spam", "harassment", "fraud", "inappropriate", "other"],"chat_report_status": ["open", "dismissed", "actioned"],"chat_subject_type": ["booking", "listing", "provider"],"device_platform": ["android", "ios", "web"],"dispute_outcome": ["release_to_provider", "partial_refund", "full_refund"],"dispute_status": ["open", "resolved"],"ledger_account_kind": ["platform_revenue", "gateway_clearing", "customer_wallet", "provider_earnings", "escrow", "commission_receivable", "payout_clearing"],"market_module": ["services", "goods", "city"],"notification_channel": ["in_app", "push", "sms"],"payment_method": ["gateway", "wallet", "cash"],"payment_purpose": ["booking"],"payment_status": ["pending", "succeeded", "failed", "expired", "cancelled", "refunded", "partially_refunded"],"payout_status": ["pending", "processing", "succeeded", "failed"],"pricing_unit": ["fixed", "hourly", "per_visit"],"refund_destination": ["gateway", "wallet"],"refund_origin": ["cancellation", "dispute", "admin", "gateway", "duplicate", "late"],"refund_status": ["pending", "processing", "succeeded", "failed"],"verification_request_status": ["pending", "approved", "rejected", "revoked"],"verification_status": ["unverified", "pending", "verified", "rejected"]
          }
        }
} as const
